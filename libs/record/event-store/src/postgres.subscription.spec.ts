import { HELD_BACK_POLL_MS, heldBackPollMs } from './postgres.subscription';

describe('heldBackPollMs', () => {
  it('polls soon after finding events held back, then twice as late each time, up to the held-back cap', () => {
    const waits = Array.from({ length: 8 }, (_, round) => heldBackPollMs(round, 500));
    expect(waits).toEqual([4, 8, 16, 32, 64, HELD_BACK_POLL_MS, HELD_BACK_POLL_MS, HELD_BACK_POLL_MS]);
  });

  it('never waits longer than the subscription polls anyway, nor overflows after many rounds', () => {
    expect(heldBackPollMs(3, 20)).toBe(20);
    expect(heldBackPollMs(10_000, 500)).toBe(HELD_BACK_POLL_MS);
  });
});
