import { PassThrough } from 'node:stream';
import { TerminalLine } from './terminal-line';

/** A stream that says it is a terminal, as cli-progress asks (`isTTY` and the cursor moves). */
function fakeTerminal(): PassThrough & { isTTY: true } {
  const out = new PassThrough() as PassThrough & {
    isTTY: true;
    columns: number;
    cursorTo: () => boolean;
    clearLine: () => boolean;
    moveCursor: () => boolean;
  };
  out.isTTY = true;
  out.cursorTo = () => true;
  out.clearLine = () => true;
  out.moveCursor = () => true;
  return out;
}

describe('TerminalLine (cli-progress)', () => {
  it('given a terminal, then the line is drawn in place without wrapping, and the last state stays on its own line', () => {
    const out = fakeTerminal();
    const line = new TerminalLine(out);
    expect(line.interactive).toBe(true);
    line.show('replay: 1 events');
    line.finish(`replay: 1,000 events · done ${'x'.repeat(200)}`);
    const written = String(out.read());
    expect(written).toContain('replay: 1 events');
    expect(written).toContain('replay: 1,000 events · done');
    // Not wrapped: line wrapping is off while it draws (the terminal cuts the line) and on again after.
    expect(written.indexOf('\x1b[?7l')).toBeLessThan(written.indexOf('replay: 1 events'));
    expect(written.indexOf('\x1b[?7h')).toBeGreaterThan(written.indexOf('replay: 1,000 events'));
    expect(written.endsWith('\n')).toBe(true);
  });

  it('given a pipe, then it writes nothing (the caller prints plain lines)', () => {
    const out = new PassThrough();
    const line = new TerminalLine(out);
    expect(line.interactive).toBe(false);
    line.show('a');
    line.finish('b');
    expect(out.read()).toBeNull();
  });

  it('given finish without a line shown, then nothing is written and nothing keeps running', () => {
    const out = fakeTerminal();
    new TerminalLine(out).finish();
    expect(out.read()).toBeNull();
  });
});
