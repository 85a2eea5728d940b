import { PassThrough } from 'node:stream';
import { formatDuration, formatProgress, ProgressLine } from './progress-line';

describe('the progress line', () => {
  it('reads as events, rate, percent of head and ETA', () => {
    expect(formatProgress({ label: 'replay', done: 120_000, rate: 4_210.4, percent: 12, etaSeconds: 192 })).toBe(
      'replay: 120,000 events · 4,210 events/s · 12.0% of head · ETA 3m12s',
    );
    expect(formatProgress({ label: 'x', done: 0, rate: 0, percent: 0, etaSeconds: undefined })).toBe(
      'x: 0 events · 0 events/s · 0.0% of head · ETA ?',
    );
  });

  it.each([
    [5, '5s'],
    [75, '1m15s'],
    [7_300, '2h01m'],
  ])('formats %d s as %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('takes rates over the recent window and the ETA from the pace of positions', () => {
    let now = 0;
    const line = new ProgressLine(new PassThrough(), 'replay', { now: () => now });
    line.figures({ done: 0, position: 0n, head: 1_000n });
    now = 2_000;
    const f = line.figures({ done: 400, position: 200n, head: 1_000n });
    expect(f.rate).toBe(200);
    expect(f.percent).toBe(20);
    expect(f.etaSeconds).toBe(8);
  });

  it('has a rate and an ETA from the first report, counting from the start of the rebuild', () => {
    let now = 0;
    const out = new PassThrough();
    const line = new ProgressLine(out, 'replay', { now: () => now });
    now = 1_000;
    line.show({ done: 3_000, position: 3_000n, head: 12_000n });
    expect(String(out.read())).toBe('replay: 3,000 events · 3,000 events/s · 25.0% of head · ETA 3s\n');
  });

  it('prints no plain line while nothing has moved', () => {
    let now = 0;
    const out = new PassThrough();
    const line = new ProgressLine(out, 'replay', { now: () => now });
    now = 1_000;
    line.show({ done: 0, position: 0n, head: 10n });
    expect(out.read()).toBeNull();
  });

  it('prints a plain line at most every interval when stderr is not a terminal', () => {
    let now = 0;
    const out = new PassThrough();
    const line = new ProgressLine(out, 'replay', { now: () => now, plainIntervalMs: 1_000 });
    now = 100;
    line.show({ done: 1, position: 1n, head: 10n });
    now = 500;
    line.show({ done: 2, position: 2n, head: 10n });
    now = 1_100;
    line.show({ done: 3, position: 3n, head: 10n });
    line.stop({ done: 10, position: 10n, head: 10n });
    const lines = String(out.read()).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/100\.0% of head · ETA 0s$/);
  });
});
