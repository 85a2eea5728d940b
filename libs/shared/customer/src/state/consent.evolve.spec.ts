import { consentChanged, inbound, outbound, registered, SMS, WHATSAPP } from '../testing/customer-events.fixtures';
import { evolve, foldCustomer } from './customer.evolve';

const reg = registered('c-1', '2025-01-15T08:00:00.000Z');

describe('consent', () => {
  describe('given a customer who never said anything about consent', () => {
    const state = foldCustomer([reg]);

    it('then no channel has a consent status', () => {
      expect(state.consent).toEqual({});
      expect(state.consents).toEqual({});
    });
  });

  describe('when consent is changed on a channel', () => {
    const state = foldCustomer([reg, consentChanged('cc1', '2025-01-15T10:00:00.000Z', 'opted_in', { source: 'double_opt_in' })]);

    it('then the channel has that status, with when it took effect and where it came from', () => {
      expect(state.consents).toEqual({
        sms: { status: 'opted_in', at: '2025-01-15T10:00:00.000Z', source: 'double_opt_in', eventId: 'cc1' },
      });
    });

    it('then the plain status per channel says the same', () => {
      expect(state.consent).toEqual({ sms: 'opted_in' });
    });
  });

  describe('when an older opt-out is recorded after a newer opt-in (STOP at 10:00 recorded after START at 11:00)', () => {
    const state = foldCustomer([
      reg,
      inbound('start', '2025-01-15T11:00:00.000Z', { text: 'START' }),
      inbound('stop', '2025-01-15T10:00:00.000Z', { text: 'STOP', recordedAt: '2025-01-15T11:05:00.000Z' }),
    ]);

    it('then the customer stays opted in: the later signal wins', () => {
      expect(state.consent).toEqual({ sms: 'opted_in' });
      expect(state.consents.sms).toMatchObject({ status: 'opted_in', at: '2025-01-15T11:00:00.000Z', eventId: 'start' });
    });

    it('then the late STOP is still counted as an interaction', () => {
      expect(state.engagement.total).toBe(2);
    });
  });

  describe('when an older opt-in from a system arrives after a newer STOP text', () => {
    const state = foldCustomer([
      reg,
      inbound('stop', '2025-01-15T12:00:00.000Z', { text: 'stop' }),
      consentChanged('import', '2025-01-01T00:00:00.000Z', 'opted_in', { source: 'crm_import' }),
    ]);

    it('then the customer stays opted out', () => {
      expect(state.consents.sms).toEqual({ status: 'opted_out', at: '2025-01-15T12:00:00.000Z', source: 'keyword', eventId: 'stop' });
    });
  });

  describe('when the customer has opted out by keyword and later opts in on a web form', () => {
    const state = foldCustomer([
      reg,
      inbound('stop', '2025-01-15T12:00:00.000Z', { text: 'STOP' }),
      consentChanged('web', '2025-01-16T12:00:00.000Z', 'opted_in'),
    ]);

    it('then they are opted in, from the web form', () => {
      expect(state.consents.sms).toMatchObject({ status: 'opted_in', source: 'web_form' });
    });
  });

  describe('when an opt-in and an opt-out happened at the same instant', () => {
    const optIn = consentChanged('in', '2025-01-15T12:00:00.000Z', 'opted_in');
    const optOut = consentChanged('out', '2025-01-15T12:00:00Z', 'opted_out');

    it('then opting out wins, in whichever order they were recorded', () => {
      expect(foldCustomer([reg, optIn, optOut]).consent).toEqual({ sms: 'opted_out' });
      expect(foldCustomer([reg, optOut, optIn]).consent).toEqual({ sms: 'opted_out' });
    });
  });

  describe('when the customer opts out on one channel only', () => {
    const state = foldCustomer([
      reg,
      consentChanged('wa-in', '2025-01-15T09:00:00.000Z', 'opted_in', { channel: WHATSAPP }),
      inbound('stop', '2025-01-15T10:00:00.000Z', { text: 'STOP', channel: SMS }),
    ]);

    it('then the other channel keeps its own consent', () => {
      expect(state.consent).toEqual({ whatsapp: 'opted_in', sms: 'opted_out' });
    });
  });

  describe('when the customer has opted out and an agent replies STOP', () => {
    const optedOut = foldCustomer([reg, inbound('stop', '2025-01-15T10:00:00.000Z', { text: 'STOP' })]);
    const after = evolve(optedOut, outbound('o1', '2025-01-15T11:00:00.000Z', { text: 'START' }));

    it('then nothing changes: only the customer gives or withdraws consent by keyword', () => {
      expect(after.consents).toEqual(optedOut.consents);
    });
  });
});
