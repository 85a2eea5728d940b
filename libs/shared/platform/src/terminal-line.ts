import type { SingleBar } from 'cli-progress';
import type * as CliProgress from 'cli-progress';

/**
 * One line of progress kept up to date in place on a terminal, by `cli-progress` (redrawn at most
 * `fps` times a second and only when it changed, cut to the terminal's width instead of wrapping,
 * cursor saved and restored, a newline left after the last state). The callers render the line
 * themselves (their own figures: events and ETA for the CLI, a bar and HTTP statuses for the demo);
 * on a pipe or a log it writes nothing, and they print plain lines where those say something new.
 */
export class TerminalLine {
  private readonly bar: SingleBar | undefined;
  private running = false;

  constructor(out: NodeJS.WritableStream, { fps = 10 }: { fps?: number } = {}) {
    // Required only on a terminal, not imported: every app loads @hub/platform, and none draws a bar.
    this.bar = (out as NodeJS.WritableStream & { isTTY?: boolean }).isTTY
      ? new (require('cli-progress') as typeof CliProgress).SingleBar({
          stream: out,
          fps,
          format: (_options, _params, payload: { line: string }) => payload.line,
          hideCursor: false,
          linewrap: false,
          clearOnComplete: false,
          noTTYOutput: false,
        })
      : undefined;
  }

  /** Whether lines are drawn in place (stdout or stderr is a terminal). */
  get interactive(): boolean {
    return this.bar !== undefined;
  }

  show(line: string): void {
    if (!this.bar) return;
    if (this.running) {
      this.bar.update(0, { line });
    } else {
      this.running = true;
      this.bar.start(1, 0, { line });
    }
  }

  /** Draws `line` (if given) as the final state and leaves it on its own line. */
  finish(line?: string): void {
    if (!this.bar) return;
    if (line !== undefined) this.show(line);
    if (!this.running) return;
    this.running = false;
    this.bar.stop();
  }
}
