import { SseReader } from './sse';

describe('reading a live timeline stream', () => {
  it('when a frame arrives in pieces, yields it once whole', () => {
    const reader = new SseReader();
    expect(reader.push('event: entry\nid: e-1\nda')).toEqual([]);
    expect(reader.push('ta: {"a":1}\n\n')).toEqual([{ event: 'entry', id: 'e-1', data: '{"a":1}' }]);
  });

  it('when heartbeats and CRLF line ends come between frames, yields only the frames', () => {
    const reader = new SseReader();
    expect(reader.push(': heartbeat\n\nevent: entry\r\nid: e-2\r\ndata: x\r\ndata: y\r\n\r\n: heartbeat\n\n')).toEqual([
      { event: 'entry', id: 'e-2', data: 'x\ny' },
    ]);
  });

  it('when a frame names no event, calls it a message', () => {
    expect(new SseReader().push('data: hello\n\n')).toEqual([{ event: 'message', data: 'hello' }]);
  });
});
