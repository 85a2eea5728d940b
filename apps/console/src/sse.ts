/** One server-sent event as the query API's live timeline sends it (`event: entry`, `id:`, `data:`). */
export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * An incremental reader of `text/event-stream` (the WHATWG rules the console needs): frames end at
 * a blank line, `data:` lines join with `\n`, comments (`: heartbeat`) are dropped, CRLF is accepted.
 * EventSource cannot send the API key header, so the console reads the stream over fetch with this.
 */
export class SseReader {
  private buffer = '';

  push(chunk: string): SseFrame[] {
    this.buffer += chunk;
    const frames: SseFrame[] = [];
    for (let end = this.frameEnd(); end; end = this.frameEnd()) {
      const block = this.buffer.slice(0, end.at);
      this.buffer = this.buffer.slice(end.at + end.length);
      const frame = parseBlock(block);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private frameEnd(): { at: number; length: number } | undefined {
    const m = /\r?\n\r?\n/.exec(this.buffer);
    return m ? { at: m.index, length: m[0].length } : undefined;
  }
}

function parseBlock(block: string): SseFrame | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { event, ...(id !== undefined ? { id } : {}), data: data.join('\n') };
}
