import { TerminalLine } from '@hub/platform';

/**
 * The one-line progress report: a bar, counts, rate and ETA, and the HTTP statuses so far.
 * `progressLine` is pure; `ProgressReporter` has it redrawn in place on a terminal (`TerminalLine`,
 * cli-progress) and prints a plain line every tenth of the way otherwise (CI logs, pipes).
 */

export interface ProgressState {
  label: string;
  done: number;
  /** Done before the clock started (the rate counts from it). */
  doneAtStart?: number;
  total: number;
  elapsedMs: number;
  /** Shown after the rate, e.g. `202×2980 401×9`. */
  detail?: string;
}

export function progressLine({ label, done, doneAtStart = 0, total, elapsedMs, detail }: ProgressState, width = 28): string {
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? ((done - doneAtStart) / elapsedMs) * 1000 : 0;
  const eta = rate > 0 && done < total ? ` ETA ${Math.ceil((total - done) / rate)} s` : '';
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${label} ${bar} ${String(done).padStart(String(total).length)}/${total} ${String(Math.floor(fraction * 100)).padStart(3)}% ${rate.toFixed(0).padStart(4)}/s${eta}${detail ? `  ${detail}` : ''}`;
}

export class ProgressReporter {
  private readonly started = Date.now();
  private readonly terminal: TerminalLine;
  private lastTenth = -1;
  private lastLine = '';
  private doneAtStart: number | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
    private readonly total: number,
  ) {
    this.terminal = new TerminalLine(out);
  }

  update(done: number, detail?: string, force = false): void {
    const now = Date.now();
    // The rate counts from the first report: what was done before (say, recorded while sending) is not this phase's speed.
    this.doneAtStart ??= done;
    const state: ProgressState = {
      label: this.label,
      done,
      doneAtStart: this.doneAtStart,
      total: this.total,
      elapsedMs: now - this.started,
      ...(detail ? { detail } : {}),
    };
    if (this.terminal.interactive) {
      this.terminal.show(progressLine(state));
      return;
    }
    const tenth = this.total === 0 ? 10 : Math.floor((done / this.total) * 10);
    const line = progressLine(state);
    // A plain line each tenth of the way (and the final one), never the same counts twice.
    const counts = line.replace(/\s+\d+\/s.*$/, '') + (detail ?? '');
    if ((tenth > this.lastTenth || force) && counts !== this.lastLine) {
      this.lastTenth = tenth;
      this.lastLine = counts;
      this.out.write(`${line}\n`);
    }
  }

  /** The final state, and the line left as it is. */
  finish(done: number, detail?: string): number {
    this.update(done, detail, true);
    this.terminal.finish();
    return Date.now() - this.started;
  }
}
