import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSseEvent, parseSse } from './sse-parser.ts';
import type { SseEvent } from './sse-parser.ts';

async function collect(chunks: string[]): Promise<SseEvent[]> {
  async function* source() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const events: SseEvent[] = [];
  for await (const event of parseSse(source())) events.push(event);
  return events;
}

describe('parseSse', () => {
  it('parses events split at arbitrary byte boundaries, including CRLF split across chunks', async () => {
    const events = await collect([
      'id: 1\r',
      '\ndata: {"a":',
      '1}\r\n\r\nevent: message\ndata: x\n',
      '\n',
    ]);
    assert.deepEqual(
      events.map((e) => [e.id, e.event, e.data]),
      [
        ['1', 'message', '{"a":1}'],
        ['1', 'message', 'x'],
      ],
    );
  });

  it('joins multi-line data, skips comments, and keeps retry', async () => {
    const events = await collect([': keep-alive\n\nretry: 250\ndata: a\ndata: b\n\n']);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.data, 'a\nb');
    assert.equal(events[0]!.retry, 250);
  });

  it('dispatches a priming event that carries only an id', async () => {
    const events = await collect(['id: prime-1\ndata:\n\n']);
    assert.deepEqual(
      events.map((e) => [e.id, e.data]),
      [['prime-1', '']],
    );
  });

  it('ignores an id containing NUL and a non-numeric retry', async () => {
    const events = await collect(['id: ok\n\nid: bad\0id\nretry: soon\ndata: z\n\n']);
    assert.equal(events.at(-1)!.id, 'ok');
    assert.equal(events.at(-1)!.retry, undefined);
  });

  it('round-trips what formatSseEvent writes', async () => {
    const text =
      formatSseEvent({ id: '7', data: '{"jsonrpc":"2.0"}', retry: 100 }) +
      formatSseEvent({ event: 'endpoint', data: '/messages' });
    const events = await collect([text]);
    assert.deepEqual(
      events.map((e) => [e.id, e.event, e.data, e.retry]),
      [
        ['7', 'message', '{"jsonrpc":"2.0"}', 100],
        ['7', 'endpoint', '/messages', 100],
      ],
    );
  });
});
