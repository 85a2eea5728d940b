import { hubNames } from '@hub/contracts';
import { hubTopicSpecs } from './topics';

describe('hubTopicSpecs', () => {
  it('asks for one copy by default (the one-broker dev setup), with no min.insync.replicas', () => {
    for (const spec of hubTopicSpecs(hubNames('ns'))) {
      expect(spec.replicationFactor ?? 1).toBe(1);
      expect(spec.configEntries?.some((e) => e.name === 'min.insync.replicas') ?? false).toBe(false);
    }
  });

  it('on a cluster gives every topic that many copies and min.insync.replicas one fewer, keeping its other settings', () => {
    const specs = hubTopicSpecs(hubNames('ns'), { replicationFactor: 3 });
    expect(specs.map((s) => s.topic)).toEqual(hubTopicSpecs(hubNames('ns')).map((s) => s.topic));
    for (const spec of specs) {
      expect(spec.replicationFactor).toBe(3);
      expect(spec.configEntries).toContainEqual({ name: 'min.insync.replicas', value: '2' });
    }
    expect(specs.find((s) => s.topic === hubNames('ns').topics.deadLetter)!.configEntries).toContainEqual({
      name: 'retention.ms',
      value: String(30 * 24 * 3600 * 1000),
    });
  });

  it('keeps the decisions topics 7 days: the bound of an address on Kafka after an erasure', () => {
    const names = hubNames('ns');
    for (const topic of [names.topics.nbaDecisions, names.topics.nbaDecisionsV2])
      expect(hubTopicSpecs(names).find((s) => s.topic === topic)!.configEntries).toContainEqual({
        name: 'retention.ms',
        value: String(7 * 24 * 3600 * 1000),
      });
  });
});
