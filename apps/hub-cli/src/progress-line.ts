import { isTerminal } from './cli-io';

export interface ProgressSample {
  /** Events handled so far in this run. */
  done: number;
  /** Global position reached (the last event handled). */
  position: bigint;
  /** Global position to reach: the head of the log (`max(global_position)`). */
  head: bigint;
}

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

const WINDOW_MS = 10_000;

/** `1,234,567` */
export const grouped = (n: number | bigint): string => (typeof n === 'bigint' ? n.toLocaleString('en-US') : Math.round(n).toLocaleString('en-US'));

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
 * A progress line on stderr: redrawn in place on a terminal (every second), one plain line every
 * `plainIntervalMs` otherwise (logs and CI stay readable). Rates are over the last 10 s; the ETA
 * divides the positions left to the head by the recent pace of positions (with a tenant filter the
 * position jumps over other tenants' events, which is what the remaining work is measured in).
 */
export class ProgressLine {
  private readonly samples: { at: number; done: number; position: bigint }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = Number.NEGATIVE_INFINITY;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly label: string,
    private readonly o: { plainIntervalMs?: number; now?: () => number } = {},
  ) {
    this.tty = isTerminal(out);
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
    const now = this.now();
    this.samples.push({ at: now, done: s.done, position: s.position });
    while (this.samples.length > 2 && now - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (s.done - first.done) / seconds : 0;
    const pace = seconds > 0 ? Number(s.position - first.position) / seconds : 0;
    const left = s.head > s.position ? Number(s.head - s.position) : 0;
    const percent = s.head > 0n ? Math.min(100, (Number(s.position) / Number(s.head)) * 100) : 100;
    return { label: this.label, done: s.done, rate, percent, etaSeconds: left === 0 ? 0 : pace > 0 ? left / pace : undefined };
  }

  show(s: ProgressSample): void {
    const line = formatProgress(this.figures(s));
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}`);
    } else if (this.now() - this.lastPlain >= (this.o.plainIntervalMs ?? 10_000)) {
      this.lastPlain = this.now();
      this.out.write(`${line}\n`);
    }
  }

  /** Stop polling and leave the final figures on their own line. */
  stop(final?: ProgressSample): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (final) {
      const line = formatProgress({ ...this.figures(final), percent: 100, etaSeconds: 0 });
      this.out.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    } else if (this.tty) {
      this.out.write('\n');
    }
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
