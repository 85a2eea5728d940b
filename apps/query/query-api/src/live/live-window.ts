import type { Position } from '@hub/timeline';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** A millisecond time as a position timestamp (microseconds, UTC). */
export const positionAt = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** Orders two positions (microsecond timestamps compare as text; ids break ties). */
export function comparePositions(a: Position, b: Position): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * What a live stream still has to send. Entries are read in recorded order after `floor()`, which
 * trails the newest entry sent by `lookbackMs`: an entry that becomes visible late with a slightly
 * earlier recorded time (a merged customer's entry from another partition, a projector retry) is still
 * found, and entries already sent in that window are not sent twice. Nothing at or before the start
 * (the entry named by `Last-Event-ID`, or the moment the stream opened) is ever sent.
 */
export class LiveWindow {
  private readonly sent = new Map<string, number>();
  private readonly startMs: number;
  private newestMs: number;

  constructor(
    private readonly start: Position,
    private readonly lookbackMs: number,
  ) {
    this.startMs = Date.parse(start.at);
    this.newestMs = this.startMs;
  }

  /** Read entries strictly after this position. */
  floor(): Position {
    const trailing = this.newestMs - this.lookbackMs;
    return trailing <= this.startMs ? this.start : { at: positionAt(trailing), id: ZERO_UUID };
  }

  /** True the first time an entry after the start is offered (send it); false for repeats and older ones. */
  admit(eventId: string, position: Position): boolean {
    if (comparePositions(position, this.start) <= 0 || this.sent.has(eventId)) return false;
    const ms = Date.parse(position.at);
    this.sent.set(eventId, ms);
    if (ms > this.newestMs) this.newestMs = ms;
    // What is below the floor is never read again, so it need not be remembered.
    const forgetBefore = this.newestMs - this.lookbackMs - 1;
    for (const [id, at] of this.sent) if (at < forgetBefore) this.sent.delete(id);
    return true;
  }

  /** How many sent ids are remembered (bounded by what was sent within the lookback). */
  get remembered(): number {
    return this.sent.size;
  }
}
