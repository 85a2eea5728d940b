import type { ChannelId, IdentityRef } from '@hub/contracts';
import type { TextSignal } from '@hub/text-signals';
import type { InteractionRecorded } from '../events/customer.events';
import { inbound, march, registered } from '../testing/customer-events.fixtures';
import { foldCustomer } from './customer.evolve';

const TELEGRAM: ChannelId = 'telegram';

/** An edit of the message recorded as `originalId` (the fixtures give it provider id `SM-<eventId>`). */
function edit(
  eventId: string,
  at: string,
  originalId: string,
  o: { text?: string; signals?: TextSignal[]; identities?: IdentityRef[] } = {},
): InteractionRecorded {
  const e = inbound(eventId, at, { channel: TELEGRAM, threadId: 'chat-1', ...o });
  return { ...e, data: { ...e.data, edits: `SM-${originalId}` } };
}

describe('edits in the customer state', () => {
  const original = inbound('m1', march(2), { channel: TELEGRAM, threadId: 'chat-1', text: 'where is my parcel', signals: [] });
  const before = [registered('c1', march(1)), original];

  describe('given an inbound message, when it is edited', () => {
    const edited = foldCustomer([
      ...before,
      edit('m1-e1', march(2, 10), 'm1', { text: 'where is my parcel?? third time asking', signals: ['repeat_contact'] }),
    ]);
    const unedited = foldCustomer(before);

    it('then it is still one interaction: engagement, conversations, the inbound window and the last interaction are those of the original', () => {
      expect(edited.engagement).toEqual(unedited.engagement);
      expect(edited.conversations).toEqual(unedited.conversations);
      expect(edited.inboundWindow).toEqual(unedited.inboundWindow);
      expect(edited.preferredChannel).toBe(unedited.preferredChannel);
      expect(edited.lastInteractionEventId).toBe('m1');
    });

    it('then the recent interaction is the original, showing the latest text', () => {
      expect(edited.recent.map((r) => [r.eventId, r.occurredAt, r.text])).toEqual([
        ['m1', march(2), 'where is my parcel?? third time asking'],
      ]);
      expect(edited.recent[0]?.editedAt).toBe(march(2, 10));
    });

    it('then a signal the edited words carry and the original did not is heard once, when the customer wrote it', () => {
      expect(edited.textSignals).toEqual({
        repeat_contact: {
          count: 1,
          firstAt: march(2, 10),
          lastAt: march(2, 10),
          lastEventId: 'm1-e1',
          lastConversation: 'telegram:chat-1',
        },
      });
    });
  });

  it('given two edits arriving out of order, then the message shows the one that happened last', () => {
    const state = foldCustomer([
      ...before,
      edit('m1-e2', march(2, 11), 'm1', { text: 'second edit' }),
      edit('m1-e1', march(2, 10), 'm1', { text: 'first edit' }),
    ]);
    expect(state.recent.map((r) => r.text)).toEqual(['second edit']);
    expect(state.engagement.total).toBe(1);
  });

  it('given a message whose words carried a signal, when an edit says it again, then it is not counted twice', () => {
    const said = inbound('m1', march(2), { channel: TELEGRAM, threadId: 'chat-1', text: 'refund me', signals: ['refund_cancel'] });
    const state = foldCustomer([
      registered('c1', march(1)),
      said,
      edit('m1-e1', march(2, 10), 'm1', { text: 'refund me now', signals: ['refund_cancel'] }),
    ]);
    expect(state.textSignals.refund_cancel?.count).toBe(1);
  });

  it('given an edit of a message the state no longer lists (or not yet), then it is no new interaction and the original is not made up', () => {
    const state = foldCustomer([registered('c1', march(1)), edit('x-e1', march(2, 10), 'x', { text: 'edited' })]);
    expect(state.engagement).toEqual({ total: 0, inbound: 0, byChannel: {} });
    expect(state.recent).toEqual([]);
    expect(state.conversations).toEqual({});
  });

  it('given an edit naming an identity, then the customer still learns it (as a delivery receipt teaches identities)', () => {
    const handle: IdentityRef = { kind: 'handle', namespace: 'telegram', value: '42' };
    const state = foldCustomer([...before, edit('m1-e1', march(2, 10), 'm1', { text: 'x', identities: [handle] })]);
    expect(state.identities).toContainEqual(handle);
  });
});
