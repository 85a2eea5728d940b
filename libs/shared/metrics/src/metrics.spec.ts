import { counter, gauge, hubMetrics, initMetrics, onScrape, renderMetrics } from './index';

describe('the process metrics registry', () => {
  beforeAll(() => initMetrics('metrics-spec'));

  it('renders the Prometheus text format with the app label and Node default metrics', async () => {
    hubMetrics.deadLetters().inc({ topic: 'hub.test.v1', code: 'INVALID_JSON' });
    const text = await renderMetrics();
    expect(text).toContain('# TYPE hub_dead_letters_total counter');
    expect(text).toContain('hub_dead_letters_total{topic="hub.test.v1",code="INVALID_JSON",app="metrics-spec"} 1');
    expect(text).toContain('# TYPE hub_process_cpu_seconds_total counter');
    expect(text).toMatch(/hub_nodejs_eventloop_lag_seconds\{app="metrics-spec"\}/);
  });

  it('gives every caller of a name the same metric, and refuses the name for another type', () => {
    const a = counter('spec_same_total', 'a counter', ['x']);
    expect(counter('spec_same_total', 'a counter', ['x'])).toBe(a);
    expect(() => gauge('spec_same_total', 'a gauge', [])).toThrow(/another type/);
  });

  it('reads the gauges sampled on scrape before rendering, until the hook is removed', async () => {
    let depth = 3;
    const stop = onScrape(() => hubMetrics.queueJobs().set({ queue: 'spec', state: 'waiting' }, depth));
    expect(await renderMetrics()).toContain('hub_queue_jobs{queue="spec",state="waiting",app="metrics-spec"} 3');
    depth = 5;
    expect(await renderMetrics()).toContain('hub_queue_jobs{queue="spec",state="waiting",app="metrics-spec"} 5');
    stop();
    depth = 9;
    expect(await renderMetrics()).toContain('hub_queue_jobs{queue="spec",state="waiting",app="metrics-spec"} 5');
  });

  it('answers a scrape when a hook fails: that gauge keeps its last value', async () => {
    const stop = onScrape(() => Promise.reject(new Error('redis away')));
    hubMetrics.liveClients().set(2);
    expect(await renderMetrics()).toContain('hub_live_timeline_clients{app="metrics-spec"} 2');
    stop();
  });
});
