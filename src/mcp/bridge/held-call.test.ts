import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { StreamedMessage, Upstream } from '../../upstream/upstream.ts';
import { startHeldCall } from './held-call.ts';

/** An upstream answer stream the test writes to, and an upstream that records what is posted. */
function fakeUpstream() {
  const posted: JsonRpcMessage[] = [];
  const queue: StreamedMessage[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const stream: AsyncIterable<StreamedMessage> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) yield queue.shift()!;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  const upstream = {
    serverKey: 'acme/legacy',
    post: async (message: JsonRpcMessage) => {
      posted.push(message);
      return { kind: 'accepted', status: 202, sessionId: undefined } as const;
    },
  } as unknown as Upstream;
  return {
    upstream,
    stream,
    posted,
    push(message: JsonRpcMessage) {
      queue.push({ message, eventId: undefined, retry: undefined });
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

const options = (upstream: Upstream, method = 'tools/call') => ({
  upstream,
  sessionId: 'up-1',
  protocolVersion: '2025-11-25',
  upstreamRequestId: 'b1.n1',
  method,
  serverInfo: { name: 'legacy', version: '1' },
  timeoutMs: 1000,
  controller: new AbortController(),
});
const never = new AbortController().signal;
const elicit = (id: number) => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'elicitation/create',
  params: { message: `q${id}`, requestedSchema: { type: 'object', properties: {} } },
});

describe('held call', () => {
  it('gathers requests pushed together into one round and answers them upstream by their own ids', async () => {
    const fake = fakeUpstream();
    const held = startHeldCall(options(fake.upstream), fake.stream);
    fake.push(elicit(7));
    fake.push({ jsonrpc: '2.0', id: 8, method: 'roots/list' });
    const round = await held.next(null, never);
    assert.equal(round.kind, 'input');
    const requests = round.kind === 'input' ? round.inputRequests : {};
    assert.deepEqual(Object.keys(requests), ['elicitation-1', 'roots-2']);
    assert.deepEqual(requests['roots-2'], { method: 'roots/list' });

    await held.answer({
      'elicitation-1': { action: 'accept', content: {} },
      'roots-2': { roots: [] },
    });
    assert.deepEqual(fake.posted, [
      { jsonrpc: '2.0', id: 7, result: { action: 'accept', content: {} } },
      { jsonrpc: '2.0', id: 8, result: { roots: [] } },
    ]);
    fake.push({ jsonrpc: '2.0', id: 'b1.n1', result: { content: [] } });
    assert.deepEqual(await held.next(null, never), {
      kind: 'final',
      answer: { jsonrpc: '2.0', id: 'b1.n1', result: { content: [] } },
    });
  });

  it('asks again for what the retry left unanswered', async () => {
    const fake = fakeUpstream();
    const held = startHeldCall(options(fake.upstream), fake.stream);
    fake.push(elicit(1));
    await held.next(null, never);
    await held.answer({ unrelated: { action: 'accept' }, 'elicitation-1': 12345 });
    assert.equal(fake.posted.length, 0);
    const again = await held.next(null, never);
    assert.deepEqual(again.kind === 'input' && Object.keys(again.inputRequests), ['elicitation-1']);
  });

  it('answers ping itself, refuses requests a modern client cannot get, relays notifications', async () => {
    const fake = fakeUpstream();
    const held = startHeldCall(options(fake.upstream, 'tools/list'), fake.stream);
    const seen: JsonRpcMessage[] = [];
    const next = held.next((message) => seen.push(message), never);
    fake.push({ jsonrpc: '2.0', id: 1, method: 'ping' });
    fake.push(elicit(2));
    fake.push({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });
    fake.push({ jsonrpc: '2.0', id: 'b1.n1', result: { tools: [] } });
    assert.equal((await next).kind, 'final');
    assert.deepEqual(seen, [
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } },
    ]);
    assert.deepEqual(fake.posted[0], { jsonrpc: '2.0', id: 1, result: {} });
    assert.equal((fake.posted[1] as { error?: { code: number } }).error?.code, -32601);
  });

  it('cancels upstream with the upstream request id, and reports a client that went away', async () => {
    const fake = fakeUpstream();
    const opts = options(fake.upstream);
    const held = startHeldCall(opts, fake.stream);
    const gone = new AbortController();
    const next = held.next(null, gone.signal);
    gone.abort();
    assert.deepEqual(await next, { kind: 'gone' });
    held.cancel('closed');
    assert.deepEqual(fake.posted, [
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 'b1.n1', reason: 'closed' },
      },
    ]);
    assert.equal(opts.controller.signal.aborted, true);
  });

  it('fails when the upstream ends the stream without answering', async () => {
    const fake = fakeUpstream();
    const held = startHeldCall(options(fake.upstream), fake.stream);
    fake.end();
    await assert.rejects(held.next(null, never), { code: 'upstream_unavailable' });
  });
});
