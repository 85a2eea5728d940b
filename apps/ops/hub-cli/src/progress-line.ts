import { TerminalLine } from '@hub/platform';
import { ProgressMeter, type ProgressSample } from '@hub/timeline';

export type { ProgressSample };

export interface ProgressFigures {
  label: string;
  done: number;
  /** Events per second over the recent window. */
  rate: number;
  /** 0–100, of the head position. */
  percent: number;
  /** Seconds left at the recent pace of positions; undefined while unknown. */
  etaSeconds: number | undefined;
}

/** `1,234,567` */
export const grouped = (n: number | bigint): string =>
  typeof n === 'bigint' ? n.toLocaleString('en-US') : Math.round(n).toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `replay: 120,000 events · 4,210 events/s · 12.0% of head · ETA 3m12s` */
export function formatProgress(f: ProgressFigures): string {
  const eta = f.etaSeconds === undefined ? 'ETA ?' : `ETA ${formatDuration(f.etaSeconds)}`;
  return `${f.label}: ${grouped(f.done)} events · ${grouped(f.rate)} events/s · ${f.percent.toFixed(1)}% of head · ${eta}`;
}

/**
 * A progress line on stderr: redrawn in place on a terminal (`TerminalLine`, cli-progress; sampled
 * every second), one plain line every `plainIntervalMs` otherwise (logs and CI stay readable). Rates and ETA are `ProgressMeter`'s
 * (@hub/timeline), the same figures the query API reports for a replay.
 */
export class ProgressLine {
  private readonly meter: ProgressMeter;
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = Number.NEGATIVE_INFINITY;
  private readonly terminal: TerminalLine;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly label: string,
    private readonly o: { plainIntervalMs?: number; now?: () => number } = {},
  ) {
    this.terminal = new TerminalLine(out);
    // A rebuild starts with nothing done at position 0: the first line already has a rate.
    this.meter = new ProgressMeter(() => this.now(), { done: 0, position: 0n });
  }

  /** Poll `sample` every second until `stop()`. */
  start(sample: () => Promise<ProgressSample>): void {
    const tick = async (): Promise<void> => {
      try {
        this.show(await sample());
      } catch {
        // A failed sample (the database busy) only skips one redraw.
      }
    };
    this.timer = setInterval(() => void tick(), 1_000);
    this.timer.unref();
  }

  figures(s: ProgressSample): ProgressFigures {
    return { label: this.label, ...this.meter.estimate(s) };
  }

  show(s: ProgressSample): void {
    const figures = this.figures(s);
    const line = formatProgress(figures);
    if (this.terminal.interactive) {
      this.terminal.show(line);
    } else if (figures.rate > 0 && this.now() - this.lastPlain >= (this.o.plainIntervalMs ?? 5_000)) {
      // A plain line says something new or nothing: no "0 events/s · ETA ?" while nothing has moved.
      this.lastPlain = this.now();
      this.out.write(`${line}\n`);
    }
  }

  /** Stop polling and leave the final figures on their own line. */
  stop(final?: ProgressSample): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const line = final ? formatProgress({ ...this.figures(final), percent: 100, etaSeconds: 0 }) : undefined;
    if (this.terminal.interactive) this.terminal.finish(line);
    else if (line !== undefined) this.out.write(`${line}\n`);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
