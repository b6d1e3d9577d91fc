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
  it('refuses an event longer than the bound, whether one endless line or many data lines', async () => {
    async function* endlessLine() {
      yield Buffer.from('data: ');
      for (;;) yield Buffer.alloc(1024, 'x');
    }
    async function* endlessEvent() {
      for (;;) yield Buffer.from('data: xxxxxxxx\n'.repeat(64));
    }
    for (const source of [endlessLine(), endlessEvent()]) {
      await assert.rejects(
        async () => {
          for await (const _ of parseSse(source, 100_000)) assert.fail('no event expected');
        },
        { code: 'upstream_protocol_error', message: /larger than 100000 characters/ },
      );
    }
  });

  it('reads a long line in linear time and an event at the bound whole', async () => {
    const size = 8 * 1024 * 1024;
    async function* chunks() {
      yield Buffer.from('data: ');
      for (let sent = 0; sent < size; sent += 16 * 1024) yield Buffer.alloc(16 * 1024, 'y');
      yield Buffer.from('\r');
      yield Buffer.from('\n\r\n');
    }
    const started = performance.now();
    const events: SseEvent[] = [];
    for await (const event of parseSse(chunks(), size + 6)) events.push(event);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.data.length, size);
    assert.ok(performance.now() - started < 1_000, `${Math.round(performance.now() - started)} ms`);
  });
});
