import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixtureServer } from '../../../test/fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../../../test/fixtures/fixture-server/http.ts';
import { META, MODERN_VERSION } from '../../session/protocol-version.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import { readBody } from '../../upstream/http-client.ts';
import { parseSse } from '../../upstream/sse-parser.ts';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';
import { createStreamableHttpUpstream } from '../../upstream/streamable-http.ts';
import type { RawReply, Upstream, UpstreamOutcome } from '../../upstream/upstream.ts';
import type {
  JsonObject,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from '../json-rpc.ts';
import { interceptedUpstream } from './intercept-context.ts';
import { interceptUpstream } from './intercept-upstream.ts';
import { jsonReply } from './rewritten-replies.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';

const context = {
  server: { workspaceId: 'acme', id: 'fixture' } as ServerDefinition,
  principal: {
    kind: 'api_key',
    id: 'key-1',
    userId: 'u1',
    workspaceId: 'acme',
    apiKeyId: 'key-1',
    clientId: null,
  },
  record: {} as RequestRecord,
  era: 'modern',
  clientCapabilities: undefined,
} satisfies InterceptContext;

function modern(id: number, method: string, params: JsonObject = {}): JsonRpcRequest {
  const meta = { [META.protocolVersion]: MODERN_VERSION, [META.clientCapabilities]: {} };
  return { jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } };
}

function headersOf(request: JsonRpcRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'mcp-protocol-version': MODERN_VERSION,
    'mcp-method': request.method,
  };
  if (typeof request.params?.name === 'string') headers['mcp-name'] = request.params.name;
  return headers;
}

/** Reads a raw reply (JSON or SSE) into the messages it carries. */
async function messagesOf(reply: RawReply): Promise<JsonRpcMessage[]> {
  if (reply.contentType === 'application/json')
    return [JSON.parse(await readBody(reply.body, 1 << 20)) as JsonRpcMessage];
  const out: JsonRpcMessage[] = [];
  for await (const event of parseSse(reply.body as AsyncIterable<Buffer>))
    if (event.data !== '') out.push(JSON.parse(event.data) as JsonRpcMessage);
  return out;
}

async function forward(upstream: Upstream, request: JsonRpcRequest): Promise<JsonRpcMessage[]> {
  const reply = await upstream.forward(JSON.stringify(request), {
    headers: headersOf(request),
    timeoutMs: 5000,
  });
  return messagesOf(reply);
}

function last(messages: JsonRpcMessage[]): JsonRpcResponse {
  return messages.at(-1) as JsonRpcResponse;
}

function toolNames(response: JsonRpcResponse): string[] {
  return ((response.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name);
}

/** Counts what reaches the real upstream. */
function counting(upstream: Upstream): Upstream & { calls: number } {
  const counted = {
    ...upstream,
    calls: 0,
    post: (message: JsonRpcMessage | JsonRpcMessage[], call: Parameters<Upstream['post']>[1]) => {
      counted.calls++;
      return upstream.post(message, call);
    },
    forward: (body: Buffer | string, call: Parameters<Upstream['forward']>[1]) => {
      counted.calls++;
      return upstream.forward(body, call);
    },
  };
  return counted;
}

const onlySimpleText: Interceptor = {
  name: 'only-simple-text',
  onResponse(response, request) {
    if (request.method !== 'tools/list' || response.result === undefined) return response;
    const tools = (response.result.tools as { name: string }[]).filter(
      (tool) => tool.name === 'test_simple_text',
    );
    return { ...response, result: { ...response.result, tools } };
  },
};

const refuseImages: Interceptor = {
  name: 'refuse-images',
  onRequest(message) {
    if (message.method === 'tools/call' && message.params?.name === 'test_image_content')
      return {
        kind: 'answer',
        message: {
          jsonrpc: '2.0',
          id: 'ignored',
          error: { code: -32602, message: 'Unknown tool: test_image_content' },
        },
      };
    return { kind: 'forward', message };
  },
};

const alias: Interceptor = {
  name: 'alias',
  onRequest(message) {
    if (message.method === 'tools/call' && message.params?.name === 'say_hello')
      return {
        kind: 'forward',
        message: { ...message, params: { ...message.params, name: 'test_simple_text' } },
      };
    return { kind: 'forward', message };
  },
};

describe('interceptUpstream', () => {
  let fixture: RunningFixtureServer;
  let upstream: Upstream;

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    upstream = createStreamableHttpUpstream(
      'acme/fixture',
      fixture.url,
      createAddressGuard(['127.0.0.0/8']),
    );
  });
  after(async () => {
    await upstream.close();
    await fixture.close();
  });

  it('filters a forwarded tools/list answer through onResponse', async () => {
    const plain = last(await forward(upstream, modern(1, 'tools/list')));
    assert.ok(toolNames(plain).length > 1);
    const filtered = last(
      await forward(
        interceptUpstream(upstream, [onlySimpleText], context),
        modern(2, 'tools/list'),
      ),
    );
    assert.equal(filtered.id, 2);
    assert.deepEqual(toolNames(filtered), ['test_simple_text']);
  });

  it('passes a JSON answer untouched when no interceptor wants it', async () => {
    const replies: RawReply[] = [];
    const watched: Upstream = {
      ...upstream,
      forward: async (body, call) => {
        const reply = await upstream.forward(body, call);
        replies.push(reply);
        return reply;
      },
    };
    const listsOnly: Interceptor = {
      ...onlySimpleText,
      responseFor: (request) => request.method === 'tools/list',
    };
    const decorated = interceptUpstream(watched, [listsOnly], context);
    const call = modern(8, 'tools/call', { name: 'test_simple_text', arguments: {} });
    const reply = await decorated.forward(JSON.stringify(call), {
      headers: headersOf(call),
      timeoutMs: 5000,
    });
    assert.equal(reply, replies[0]);
    assert.equal(last(await messagesOf(reply)).id, 8);
    const list = last(await forward(decorated, modern(9, 'tools/list')));
    assert.deepEqual(toolNames(list), ['test_simple_text']);
  });

  it('answers a refused forward itself, with the request id, without calling the upstream', async () => {
    const real = counting(upstream);
    const decorated = interceptUpstream(real, [refuseImages], context);
    const answer = last(
      await forward(
        decorated,
        modern(7, 'tools/call', { name: 'test_image_content', arguments: {} }),
      ),
    );
    assert.equal(real.calls, 0);
    assert.equal(answer.id, 7);
    assert.equal(answer.error?.code, -32602);
  });

  it('forwards a rewritten request with its Mcp-Name header rewritten to match', async () => {
    const decorated = interceptUpstream(upstream, [alias], context);
    const answer = last(
      await forward(decorated, modern(3, 'tools/call', { name: 'say_hello', arguments: {} })),
    );
    assert.equal(answer.error, undefined, JSON.stringify(answer.error));
    assert.equal(answer.id, 3);
    assert.ok(Array.isArray(answer.result?.content));
  });

  it('runs onServerMessage on streamed notifications and may drop them', async () => {
    const seen: string[] = [];
    const dropLogs: Interceptor = {
      name: 'drop-logs',
      onServerMessage(message) {
        if ('method' in message) seen.push(String(message.method));
        return 'method' in message && message.method === 'notifications/message'
          ? undefined
          : message;
      },
    };
    const request = modern(4, 'tools/call', { name: 'test_tool_with_logging', arguments: {} });
    const meta = request.params!._meta as JsonObject;
    meta[META.logLevel] = 'debug';
    const plain = await forward(upstream, request);
    assert.ok(plain.some((m) => 'method' in m && m.method === 'notifications/message'));
    const messages = await forward(interceptUpstream(upstream, [dropLogs], context), request);
    assert.ok(seen.includes('notifications/message'));
    assert.ok(!messages.some((m) => 'method' in m && m.method === 'notifications/message'));
    assert.equal(last(messages).id, 4);
  });

  it('gives the upstream no more time than the smallest forward verdict allows', async () => {
    const timeouts: number[] = [];
    const watched: Upstream = {
      ...upstream,
      forward: (body, call) => {
        timeouts.push(call.timeoutMs);
        return upstream.forward(body, call);
      },
    };
    const hurry = (ms: number): Interceptor => ({
      name: `hurry-${ms}`,
      onRequest: (message) => ({ kind: 'forward', message, timeoutMs: ms }),
    });
    const request = modern(5, 'tools/call', { name: 'test_simple_text', arguments: {} });
    const messages = await forward(
      interceptUpstream(watched, [hurry(3000), hurry(1500), hurry(4000)], context),
      request,
    );
    assert.equal(last(messages).id, 5);
    assert.deepEqual(timeouts, [1500]);
  });

  it('merges watch notifications into a modern subscriptions/listen stream, opted-in and tagged', async () => {
    let send: ((n: JsonRpcNotification) => void) | undefined;
    let stopped = false;
    const watcher: Interceptor = {
      name: 'watcher',
      watch(push) {
        send = push;
        return () => {
          stopped = true;
        };
      },
    };
    const controller = new AbortController();
    const request = modern(6, 'subscriptions/listen', {
      notifications: { toolsListChanged: true },
    });
    const reply = await interceptUpstream(upstream, [watcher], context).forward(
      JSON.stringify(request),
      { headers: headersOf(request), timeoutMs: 5000, longLived: true, signal: controller.signal },
    );
    assert.equal(reply.contentType, 'text/event-stream');
    const seen: JsonRpcMessage[] = [];
    for await (const event of parseSse(reply.body as AsyncIterable<Buffer>)) {
      if (event.data === '') continue;
      const message = JSON.parse(event.data) as JsonRpcMessage;
      seen.push(message);
      if ('method' in message && message.method === 'notifications/subscriptions/acknowledged') {
        send!({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
        send!({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      }
      if ('method' in message && message.method === 'notifications/tools/list_changed') break;
    }
    controller.abort();
    const notice = seen.at(-1) as JsonRpcNotification;
    assert.equal(notice.method, 'notifications/tools/list_changed');
    assert.equal((notice.params?._meta as JsonObject)[META.subscriptionId], 6);
    assert.ok(
      !seen.some((m) => 'method' in m && m.method === 'notifications/prompts/list_changed'),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(stopped);
  });

  describe('on a legacy session', () => {
    let sessionId: string | undefined;
    const version = '2025-03-26';
    const call = () => ({
      sessionId: sessionId ?? null,
      protocolVersion: version,
      timeoutMs: 5000,
    });

    before(async () => {
      const outcome = await upstream.post(
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: version,
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        },
        { protocolVersion: version, timeoutMs: 5000 },
      );
      sessionId =
        outcome.kind === 'accepted' || outcome.kind === 'session-gone'
          ? undefined
          : outcome.sessionId;
      assert.ok(sessionId);
      await upstream.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, call());
    });

    async function answerOf(outcome: UpstreamOutcome): Promise<JsonRpcMessage | JsonRpcMessage[]> {
      if (outcome.kind === 'json') return outcome.message;
      assert.equal(outcome.kind, 'stream');
      if (outcome.kind !== 'stream') throw new Error('unreachable');
      const out: JsonRpcMessage[] = [];
      for await (const item of outcome.messages) if (item.message) out.push(item.message);
      return out.at(-1)!;
    }

    /** Every message of an outcome, whether the upstream answered with JSON or a stream. */
    async function allOf(outcome: UpstreamOutcome): Promise<JsonRpcResponse[]> {
      if (outcome.kind === 'json') {
        const message = outcome.message as JsonRpcMessage | JsonRpcMessage[];
        return (Array.isArray(message) ? message : [message]) as JsonRpcResponse[];
      }
      const out: JsonRpcResponse[] = [];
      if (outcome.kind === 'stream')
        for await (const item of outcome.messages)
          if (item.message) out.push(item.message as JsonRpcResponse);
      return out;
    }

    it('filters a posted tools/list answer', async () => {
      const decorated = interceptUpstream(upstream, [onlySimpleText], context);
      const answer = (await answerOf(
        await decorated.post({ jsonrpc: '2.0', id: 11, method: 'tools/list' }, call()),
      )) as JsonRpcResponse;
      assert.equal(answer.id, 11);
      assert.deepEqual(toolNames(answer), ['test_simple_text']);
    });

    it('answers refused elements of a batch and forwards the rest', async () => {
      const decorated = interceptUpstream(upstream, [refuseImages, onlySimpleText], context);
      const outcome = await decorated.post(
        [
          { jsonrpc: '2.0', id: 21, method: 'tools/list' },
          {
            jsonrpc: '2.0',
            id: 22,
            method: 'tools/call',
            params: { name: 'test_image_content', arguments: {} },
          },
        ],
        call(),
      );
      const answers = await allOf(outcome);
      const byId = new Map(answers.map((a) => [a.id, a]));
      assert.deepEqual(toolNames(byId.get(21)!), ['test_simple_text']);
      assert.equal(byId.get(22)?.error?.code, -32602);
    });

    it('answers a batch whose every request is refused without calling the upstream', async () => {
      const real = counting(upstream);
      const decorated = interceptUpstream(real, [refuseImages], context);
      const outcome = await decorated.post(
        [
          {
            jsonrpc: '2.0',
            id: 31,
            method: 'tools/call',
            params: { name: 'test_image_content', arguments: {} },
          },
        ],
        call(),
      );
      assert.equal(real.calls, 0);
      assert.equal(outcome.kind, 'json');
      const answers = (outcome.kind === 'json'
        ? outcome.message
        : []) as unknown as JsonRpcResponse[];
      assert.equal(answers[0]?.id, 31);
    });

    it('runs onServerMessage on the standalone stream', async () => {
      const seen: string[] = [];
      const rename: Interceptor = {
        name: 'watch',
        onServerMessage(message) {
          if ('method' in message) seen.push(String(message.method));
          return message;
        },
      };
      const decorated = interceptUpstream(upstream, [rename], context);
      const controller = new AbortController();
      const stream = await decorated.listen({
        ...call(),
        signal: controller.signal,
        longLived: true,
      });
      assert.ok(stream);
      const iterator = stream[Symbol.asyncIterator]();
      // The GET stream is open once the upstream answered; the trigger then raises the event on it.
      await answerOf(
        await upstream.post(
          {
            jsonrpc: '2.0',
            id: 41,
            method: 'tools/call',
            params: { name: 'test_trigger_tool_change', arguments: {} },
          },
          call(),
        ),
      );
      let next = await iterator.next();
      while (!next.done && next.value.message === null) next = await iterator.next();
      controller.abort();
      assert.ok(!next.done);
      assert.deepEqual(seen, ['notifications/tools/list_changed']);
    });
  });

  it('merges watch notifications into a legacy standalone stream', async () => {
    // A fresh session: one standalone stream per upstream session.
    const init = await upstream.post(
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      },
      { protocolVersion: '2025-11-25', timeoutMs: 5000 },
    );
    const sessionId = init.kind === 'json' || init.kind === 'stream' ? init.sessionId : undefined;
    if (init.kind === 'stream') init.close?.();
    let send: ((n: JsonRpcNotification) => void) | undefined;
    const watcher: Interceptor = {
      name: 'watcher',
      watch(push) {
        send = push;
        return () => undefined;
      },
    };
    const controller = new AbortController();
    const stream = await interceptUpstream(upstream, [watcher], context).listen({
      sessionId: sessionId ?? null,
      protocolVersion: '2025-11-25',
      timeoutMs: 5000,
      longLived: true,
      signal: controller.signal,
    });
    assert.ok(stream);
    const iterator = stream[Symbol.asyncIterator]();
    // The stream starts watching on its first read, as the stream hub's pump does at once.
    const first = iterator.next();
    send!({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    let next = await first;
    while (!next.done && next.value.message === null) next = await iterator.next();
    controller.abort();
    assert.deepEqual(next.value?.message, {
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
    });
  });

  it('sends the upstream the request as the interceptors judged it, not the bytes the client sent', async () => {
    // Two "name" keys: the chain reads the last; an upstream parser that keeps
    // the first would otherwise run a tool the policy never judged.
    const bodies: string[] = [];
    const recording: Upstream = {
      serverKey: 'acme/fixture',
      post: () => Promise.reject(new Error('not used')),
      listen: () => Promise.resolve(null),
      terminate: () => Promise.resolve(),
      forward: (body) => {
        bodies.push(String(body));
        return Promise.resolve(
          jsonReply(200, { jsonrpc: '2.0', id: 1, result: { content: [] } }, {}),
        );
      },
      close: () => Promise.resolve(),
    };
    const judged: string[] = [];
    const judge: Interceptor = {
      name: 'judge',
      onRequest(message) {
        judged.push(String(message.params?.name));
        return { kind: 'forward', message };
      },
    };
    const meta = JSON.stringify({ [META.protocolVersion]: MODERN_VERSION });
    const raw = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_image_content","name":"test_simple_text","_meta":${meta}}}`;
    await interceptUpstream(recording, [judge], context).forward(raw, {
      headers: { 'mcp-method': 'tools/call', 'mcp-name': 'test_simple_text' },
      timeoutMs: 5000,
    });
    assert.deepEqual(judged, ['test_simple_text']);
    assert.equal(bodies.length, 1);
    assert.ok(!bodies[0]!.includes('test_image_content'), bodies[0]);
    assert.equal((JSON.parse(bodies[0]!) as JsonRpcRequest).params?.name, 'test_simple_text');
  });

  it('filters a list answer replayed on a resumed stream, whose request this call never saw', async () => {
    // SEP-1699 polling: the upstream ends the POST stream early and the client
    // gets the answer by GET + Last-Event-ID, a call of its own.
    const replayed: JsonRpcResponse = {
      jsonrpc: '2.0',
      id: 'a1b2.7',
      result: { tools: [{ name: 'test_simple_text' }, { name: 'test_image_content' }] },
    };
    const result = { jsonrpc: '2.0' as const, id: 'a1b2.8', result: { content: [] } };
    const replaying: Upstream = {
      serverKey: 'acme/fixture',
      post: () => Promise.reject(new Error('not used')),
      listen: async () =>
        (async function* () {
          yield { message: replayed, eventId: 'e1', retry: undefined };
          yield { message: result, eventId: 'e2', retry: undefined };
        })(),
      terminate: () => Promise.resolve(),
      forward: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    const stream = await interceptUpstream(replaying, [onlySimpleText], context).listen({
      ...{ sessionId: 's1', protocolVersion: '2025-11-25', timeoutMs: 5000 },
      headers: { 'last-event-id': 'e0' },
    });
    const messages: JsonRpcMessage[] = [];
    for await (const item of stream!) if (item.message !== null) messages.push(item.message);
    assert.deepEqual(toolNames(messages[0] as JsonRpcResponse), ['test_simple_text']);
    assert.equal((messages[0] as JsonRpcResponse).id, 'a1b2.7');
    assert.deepEqual(messages[1], result);
  });

  it('leaves the upstream undecorated when every source gives an empty list', async () => {
    const same = await interceptedUpstream(
      upstream,
      [{ interceptorsFor: () => [] }, { interceptorsFor: async () => [] }],
      {
        server: context.server,
        principal: context.principal,
        record: context.record,
        request: {} as never,
      },
      {} as never,
    );
    assert.equal(same, upstream);
  });
});
