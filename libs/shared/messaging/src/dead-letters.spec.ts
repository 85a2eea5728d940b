import type { KafkaMessage } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';
import { deadLetterBody } from './dead-letter-body';
import { deadLetterOf, matches } from './dead-letters';

const message = (value: unknown, headers: Record<string, string>, offset = '7'): KafkaMessage => ({
  key: Buffer.from('k'),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  offset,
  timestamp: String(Date.UTC(2026, 0, 2)),
  attributes: 0,
});

const consumed = {
  [HeaderNames.dlqCode]: 'INVALID_EVENT',
  [HeaderNames.dlqReason]: 'data must be an object',
  [HeaderNames.dlqSourceTopic]: 'hub.interactions.v1',
  [HeaderNames.dlqSourcePartition]: '3',
  [HeaderNames.dlqSourceOffset]: '41',
  [HeaderNames.tenantId]: 'acme',
};

describe('a dead letter as operators see it', () => {
  it('given one a consumer wrote, then its reason, source and body are shown and it can be re-driven', () => {
    const d = deadLetterOf(0, message(deadLetterBody(Buffer.from('{"x":1}')), consumed));
    expect(d).toMatchObject({
      partition: 0,
      offset: '7',
      at: '2026-01-02T00:00:00.000Z',
      key: 'k',
      code: 'INVALID_EVENT',
      reason: 'data must be an object',
      tenantId: 'acme',
      source: { topic: 'hub.interactions.v1', partition: 3, offset: '41' },
      body: { raw: '{"x":1}', truncated: false },
      redrive: { possible: true, from: 'dead-letter' },
    });
  });

  it('given a webhook dead letter, then it has no source and cannot be re-driven; its tenant comes from the body', () => {
    const d = deadLetterOf(0, message({ channel: 'sms', tenantId: 'shop', raw: 'x' }, { [HeaderNames.dlqCode]: 'UNMAPPABLE' }));
    expect(d).toMatchObject({ source: null, tenantId: 'shop', channel: 'sms', redrive: { possible: false } });
  });

  it('given a cut body or a reference, then it is re-driven from its source topic; without a source offset it cannot be, and says why', () => {
    const cut = deadLetterOf(0, message({ raw: 'head', rawBytes: 9e6, rawSha256: 'x', truncated: true }, consumed));
    expect(cut.redrive).toEqual({ possible: true, from: 'source' });
    const reference = deadLetterOf(0, message({ rawSha256: 'x', rawBytes: 10 }, consumed));
    expect(reference.redrive).toEqual({ possible: true, from: 'source' });
    const { [HeaderNames.dlqSourceOffset]: _offset, ...withoutOffset } = consumed;
    const nowhere = deadLetterOf(0, message({ rawSha256: 'x', rawBytes: 10 }, withoutOffset));
    expect(nowhere.redrive).toEqual({ possible: false, why: expect.stringContaining('neither the whole message nor where it was') });
  });

  it('given a value that is not JSON, then its text is shown', () => {
    expect(deadLetterOf(0, message('not json', consumed)).body).toEqual({ text: 'not json' });
  });

  it('given filters, then source topic and tenant match exactly, and the reason matches words of the code or reason in any case', () => {
    const d = deadLetterOf(0, message(deadLetterBody(Buffer.from('{}')), consumed));
    expect(matches(d, { sourceTopic: 'hub.interactions.v1', tenantId: 'acme', reason: 'invalid_event' })).toBe(true);
    expect(matches(d, { reason: 'MUST BE' })).toBe(true);
    expect(matches(d, { sourceTopic: 'hub.raw-interactions.v1' })).toBe(false);
    expect(matches(d, { tenantId: 'acm' })).toBe(false);
  });
});
