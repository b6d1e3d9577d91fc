import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import { createEraCache } from './era-cache.ts';
import { createLegacySseUpstream } from './legacy-sse.ts';
import type { LegacySseOptions } from './legacy-sse.ts';
import { createAddressGuard } from './ssrf-guard.ts';
import type { Upstream, UpstreamOutcome } from './upstream.ts';

/** A JSON-RPC message as these tests read it (fields a test reads and asserts on). */
interface Wire {
  id: string | number;
  method: string;
  params: {
    name: string;
    arguments: { text: string };
    protocolVersion: string;
    requestId: unknown;
    _meta: { progressToken: unknown };
  };
  result: { serverInfo: unknown; content: Array<{ text: string }> };
  error: { message: string };
}

const wire = (message: unknown): Wire => message as Wire;

/** A 2024-11-05 HTTP+SSE server: GET /sse names /messages?sid=…, POSTs answer 202. */
interface LegacyServer {
  url: string;
  origin: string;
  /** Every message POSTed, in order, with the server-side session id. */
  received: Array<{ sid: string; message: Wire }>;
  /** The server's own session ids, oldest first. */
  sids: string[];
  /** Sends one message on a session's event stream. */
  push(sid: string, message: object): void;
  /** Cuts a session's event stream. */
  drop(sid: string): void;
  closedStreams: Set<string>;
  /** Method and headers of every request received. */
  requests: Array<{ method: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

type GetMode = 'normal' | 'no-endpoint' | 'no-headers' | 'error' | 'foreign-endpoint' | 'absolute';

async function startLegacyServer(mode: GetMode = 'normal'): Promise<LegacyServer> {
  const streams = new Map<string, http.ServerResponse>();
  const received: LegacyServer['received'] = [];
  const sids: string[] = [];
  const closedStreams = new Set<string>();
  const requests: LegacyServer['requests'] = [];
  const push = (sid: string, message: object): void => {
    streams.get(sid)?.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  };
  const answer = (sid: string, message: Wire): void => {
    const reply = (result: object): void => push(sid, { jsonrpc: '2.0', id: message.id, result });
    if (message.method === 'initialize' && message.params.protocolVersion === 'bogus')
      return push(sid, {
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32602, message: 'unsupported version' },
      });
    if (message.method === 'initialize')
      return reply({
        protocolVersion: '2024-11-05',
        capabilities: { tools: {} },
        serverInfo: { name: 'legacy', version: '1.0.0' },
      });
    if (message.method !== 'tools/call') return;
    const { name, arguments: args } = message.params;
    if (name === 'echo') reply({ content: [{ type: 'text', text: args.text }] });
    if (name === 'progress') {
      const progressToken = message.params._meta.progressToken;
      for (let progress = 1; progress <= 3; progress++)
        push(sid, {
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken, progress, total: 3 },
        });
      reply({ content: [{ type: 'text', text: 'done' }] });
    }
    if (name === 'sample')
      push(sid, {
        jsonrpc: '2.0',
        id: `sample-for-${message.id}`,
        method: 'sampling/createMessage',
        params: { messages: [], maxTokens: 10 },
      });
    if (name === 'drop') streams.get(sid)?.destroy();
  };

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      if (mode === 'no-headers') return;
      if (mode === 'error') return res.writeHead(500).end('broken');
      const sid = crypto.randomUUID();
      sids.push(sid);
      streams.set(sid, res);
      res.on('close', () => {
        closedStreams.add(sid);
        streams.delete(sid);
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (mode === 'no-endpoint') return void res.write(': waiting\n\n');
      const endpoint =
        mode === 'foreign-endpoint'
          ? `http://203.0.113.9/messages?sid=${sid}`
          : mode === 'absolute'
            ? `http://${req.headers.host}/messages?sid=${sid}`
            : `/messages?sid=${sid}`;
      res.write(`event: endpoint\ndata: ${endpoint}\n\n`);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const sid = url.searchParams.get('sid') ?? '';
      if (!streams.has(sid)) return res.writeHead(404).end('Could not find session');
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const message = wire(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        received.push({ sid, message });
        // The answer may reach the stream before the POST's own 202.
        // A notification or an answer has no params.name to match.
        if (message.params?.name === 'stall') return;
        if (message.params?.name === 'early') {
          push(sid, { jsonrpc: '2.0', id: message.id, result: { content: [] } });
          setTimeout(() => res.writeHead(202).end('Accepted'), 50);
          return;
        }
        res.writeHead(202).end('Accepted');
        answer(sid, message);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    origin: `http://127.0.0.1:${port}`,
    received,
    sids,
    push,
    drop: (sid) => streams.get(sid)?.destroy(),
    closedStreams,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const guard = createAddressGuard(['127.0.0.0/8']);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  mode: GetMode = 'normal',
  options: LegacySseOptions = {},
): Promise<{ server: LegacyServer; upstream: Upstream }> {
  const server = await startLegacyServer(mode);
  const upstream = createLegacySseUpstream('acme/legacy', server.url, guard, options);
  cleanups.push(() => server.close());
  cleanups.push(() => upstream.close());
  return { server, upstream };
}

const initialize = {
  jsonrpc: '2.0' as const,
  id: 'init-1',
  method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't' } },
};

function call(name: string, id: string | number, extra: object = {}): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: { text: `hi ${id}` }, ...extra },
  };
}

function streamOf(outcome: UpstreamOutcome) {
  assert.equal(outcome.kind, 'stream');
  return outcome.kind === 'stream' ? outcome.messages : (undefined as never);
}

async function collect(outcome: UpstreamOutcome): Promise<JsonRpcMessage[]> {
  const messages: JsonRpcMessage[] = [];
  for await (const item of streamOf(outcome)) if (item.message) messages.push(item.message);
  return messages;
}

async function openSession(upstream: Upstream, timeoutMs = 2000): Promise<string> {
  const outcome = await upstream.post(initialize, { timeoutMs });
  const [answer] = await collect(outcome);
  assert.deepEqual(wire(answer).result.serverInfo, { name: 'legacy', version: '1.0.0' });
  assert.ok(outcome.kind === 'stream' && outcome.sessionId);
  return outcome.sessionId;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('legacy HTTP+SSE upstream', () => {
  it('opens a session on initialize, minting its own id and posting to the named endpoint', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    assert.equal(server.sids.length, 1);
    assert.ok(!sessionId.includes(server.sids[0]!), 'the upstream session id stays inside');
    assert.equal(server.received[0]!.message.method, 'initialize');
    const notified = await upstream.post(
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { sessionId, timeoutMs: 2000 },
    );
    assert.equal(notified.kind, 'accepted');
    assert.equal(server.received[1]!.message.method, 'notifications/initialized');
  });

  it('accepts an absolute endpoint URI on the same origin', async () => {
    const { upstream } = await setup('absolute');
    const sessionId = await openSession(upstream);
    const messages = await collect(
      await upstream.post(call('echo', 1), { sessionId, timeoutMs: 2000 }),
    );
    assert.equal(wire(messages[0]).result.content[0]?.text, 'hi 1');
  });

  it('refuses a message endpoint on another origin', async () => {
    const { upstream } = await setup('foreign-endpoint');
    const error = await rejectsWith(
      upstream.post(initialize, { timeoutMs: 2000 }),
      'upstream_protocol_error',
    );
    assert.match(error.message, /another origin/);
  });

  it('answers each request on its own stream, which ends with the response', async () => {
    const { upstream } = await setup();
    const sessionId = await openSession(upstream);
    const [a, b] = await Promise.all([
      upstream.post(call('echo', 1), { sessionId, timeoutMs: 2000 }).then(collect),
      upstream.post(call('echo', 'two'), { sessionId, timeoutMs: 2000 }).then(collect),
    ]);
    assert.deepEqual(a, [
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hi 1' }] } },
    ]);
    assert.equal(wire(b[0]).id, 'two');
  });

  it('delivers an answer that reaches the stream before the POST is accepted', async () => {
    const { upstream } = await setup();
    const sessionId = await openSession(upstream);
    const messages = await collect(
      await upstream.post(call('early', 7), { sessionId, timeoutMs: 2000 }),
    );
    assert.deepEqual(messages, [{ jsonrpc: '2.0', id: 7, result: { content: [] } }]);
  });

  it('routes progress by the token the request carried, even with other requests in flight', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const other = await upstream.post(call('wait', 'other'), { sessionId, timeoutMs: 2000 });
    const progressed = await collect(
      await upstream.post(call('progress', 'p', { _meta: { progressToken: 'tok' } }), {
        sessionId,
        timeoutMs: 2000,
      }),
    );
    assert.deepEqual(
      progressed.map((message) => ('method' in message ? message.method : 'response')),
      ['notifications/progress', 'notifications/progress', 'notifications/progress', 'response'],
    );
    server.push(server.sids[0]!, { jsonrpc: '2.0', id: 'other', result: {} });
    assert.deepEqual(await collect(other), [{ jsonrpc: '2.0', id: 'other', result: {} }]);
  });

  it('relays a server→client request to the only request in flight, and takes the answer back', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const outcome = await upstream.post(call('sample', 5), { sessionId, timeoutMs: 2000 });
    const iterator = streamOf(outcome)[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(wire(first.value.message).method, 'sampling/createMessage');
    const answered = await upstream.post(
      { jsonrpc: '2.0', id: 'sample-for-5', result: { role: 'assistant', content: {} } },
      { sessionId, timeoutMs: 2000 },
    );
    assert.equal(answered.kind, 'accepted');
    await until(() => server.received.some((entry) => entry.message.id === 'sample-for-5'));
    server.push(server.sids[0]!, { jsonrpc: '2.0', id: 5, result: { content: [] } });
    const last = await iterator.next();
    assert.equal(wire(last.value.message).id, 5);
    assert.equal((await iterator.next()).done, true);
  });

  it('sends what no single request can claim to the listeners, or refuses it when none listens', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const sid = server.sids[0]!;
    const one = await upstream.post(call('wait', 1), { sessionId, timeoutMs: 2000 });
    const two = await upstream.post(call('wait', 2), { sessionId, timeoutMs: 2000 });

    server.push(sid, { jsonrpc: '2.0', id: 'roots-1', method: 'roots/list' });
    await until(() =>
      server.received.some((entry) => entry.message.id === 'roots-1' && 'error' in entry.message),
    );

    const controller = new AbortController();
    const listened = await upstream.listen({
      sessionId,
      signal: controller.signal,
      timeoutMs: 2000,
    });
    assert.ok(listened);
    const iterator = listened[Symbol.asyncIterator]();
    server.push(sid, { jsonrpc: '2.0', method: 'notifications/message', params: { data: 'x' } });
    server.push(sid, { jsonrpc: '2.0', id: 'roots-2', method: 'roots/list' });
    assert.equal(wire((await iterator.next()).value.message).method, 'notifications/message');
    assert.equal(wire((await iterator.next()).value.message).id, 'roots-2');

    server.push(sid, { jsonrpc: '2.0', id: 1, result: {} });
    server.push(sid, { jsonrpc: '2.0', id: 2, result: {} });
    assert.equal((await collect(one)).length, 1);
    assert.equal((await collect(two)).length, 1);
    controller.abort();
    assert.equal((await iterator.next()).done, true);
  });

  it('fails the requests in flight at once when the event stream drops, and reports the session gone', async () => {
    const { upstream } = await setup();
    const sessionId = await openSession(upstream);
    const waiting = await upstream.post(call('wait', 1), { sessionId, timeoutMs: 10_000 });
    const started = Date.now();
    const dropped = await upstream.post(call('drop', 2), { sessionId, timeoutMs: 10_000 });
    await rejectsWith(collect(dropped), 'upstream_unavailable');
    await rejectsWith(collect(waiting), 'upstream_unavailable');
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(await upstream.post(call('echo', 3), { sessionId, timeoutMs: 2000 }), {
      kind: 'session-gone',
      status: 404,
    });
    await rejectsWith(upstream.listen({ sessionId, timeoutMs: 2000 }), 'session_not_found');
  });

  it('reports unknown sessions, and messages without one, as gone', async () => {
    const { upstream } = await setup();
    const gone = { kind: 'session-gone', status: 404 };
    assert.deepEqual(
      await upstream.post(call('echo', 1), { sessionId: 'nope', timeoutMs: 500 }),
      gone,
    );
    assert.deepEqual(await upstream.post(call('echo', 1), { timeoutMs: 500 }), gone);
  });

  it('times a silent request out, cancelling it upstream', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const started = Date.now();
    const outcome = await upstream.post(call('wait', 9), { sessionId, timeoutMs: 300 });
    await rejectsWith(collect(outcome), 'upstream_timeout');
    assert.ok(Date.now() - started < 1000);
    await until(() =>
      server.received.some(
        (entry) =>
          entry.message.method === 'notifications/cancelled' &&
          entry.message.params.requestId === 9,
      ),
    );
  });

  it('cancels a request upstream when its reader stops early or its caller goes away', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const cancelled = (requestId: unknown) => () =>
      server.received.some(
        (entry) =>
          entry.message.method === 'notifications/cancelled' &&
          entry.message.params.requestId === requestId,
      );
    const outcome = await upstream.post(call('wait', 'left'), { sessionId, timeoutMs: 2000 });
    await streamOf(outcome)[Symbol.asyncIterator]().return?.();
    await until(cancelled('left'));

    const controller = new AbortController();
    const aborted = await upstream.post(call('wait', 'aborted'), {
      sessionId,
      signal: controller.signal,
      timeoutMs: 2000,
    });
    controller.abort();
    await rejectsWith(collect(aborted), 'upstream_unavailable');
    await until(cancelled('aborted'));
  });

  it('sends a batch one message per POST and ends its stream when every request is answered', async () => {
    const { server, upstream } = await setup();
    const sessionId = await openSession(upstream);
    const messages = await collect(
      await upstream.post(
        [
          call('echo', 1),
          { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
          call('echo', 2),
        ],
        { sessionId, timeoutMs: 2000 },
      ),
    );
    assert.deepEqual(messages.map((message) => wire(message).id).sort(), [1, 2]);
    assert.equal(server.received.length, 4);
  });

  it('turns refused, silent and broken upstreams into gateway errors within the timeout', async () => {
    const { server: closed } = await setup();
    const refusedUrl = closed.url;
    await closed.close();
    const refused = createLegacySseUpstream('acme/refused', refusedUrl, guard);
    cleanups.push(() => refused.close());
    await rejectsWith(refused.post(initialize, { timeoutMs: 1000 }), 'upstream_unavailable');

    for (const [mode, code] of [
      ['no-headers', 'upstream_timeout'],
      ['no-endpoint', 'upstream_timeout'],
      ['error', 'upstream_error'],
    ] as const) {
      const { upstream } = await setup(mode);
      const started = Date.now();
      await rejectsWith(upstream.post(initialize, { timeoutMs: 300 }), code);
      assert.ok(Date.now() - started < 700, mode);
    }

    const { upstream } = await setup();
    const sessionId = await openSession(upstream);
    const started = Date.now();
    await rejectsWith(
      upstream.post(call('stall', 1), { sessionId, timeoutMs: 300 }),
      'upstream_timeout',
    );
    assert.ok(Date.now() - started < 700, 'a POST never accepted');
  });

  it('closes the connection when initialize is refused', async () => {
    const { server, upstream } = await setup();
    const refused = await upstream.post(
      { ...initialize, params: { ...initialize.params, protocolVersion: 'bogus' } },
      { timeoutMs: 2000 },
    );
    assert.equal(wire((await collect(refused))[0]).error.message, 'unsupported version');
    await until(() => server.closedStreams.has(server.sids[0]!));
  });

  it('ends the connection on terminate and after the idle time', async () => {
    const { server, upstream } = await setup('normal', { idleMs: 200 });
    const first = await openSession(upstream);
    await upstream.terminate({ sessionId: first, timeoutMs: 1000 });
    await until(() => server.closedStreams.has(server.sids[0]!));
    assert.equal(
      (await upstream.post(call('echo', 1), { sessionId: first, timeoutMs: 500 })).kind,
      'session-gone',
    );

    const second = await openSession(upstream);
    const started = Date.now();
    await until(() => server.closedStreams.has(server.sids[1]!));
    assert.ok(Date.now() - started >= 150);
    assert.equal(
      (await upstream.post(call('echo', 1), { sessionId: second, timeoutMs: 500 })).kind,
      'session-gone',
    );
  });

  it('is legacy-only: no era probe and no pass-through', async () => {
    const { server, upstream } = await setup();
    assert.equal(upstream.fixedEra, 'legacy');
    assert.deepEqual(await createEraCache(60_000).get(upstream, 1000), {
      modern: false,
      discover: null,
    });
    assert.equal(server.sids.length, 0);
    await rejectsWith(upstream.forward('{}', { timeoutMs: 1000 }), 'unsupported_transport');
  });
});

describe('legacy HTTP+SSE upstream: static headers', () => {
  it('sends the static headers on the GET and every POST, and the identity on the GET', async () => {
    const { server, upstream } = await setup('normal', {
      headers: { authorization: 'Bearer static', 'x-team': 'platform' },
    });
    const opened = await upstream.post(initialize, {
      timeoutMs: 2000,
      headers: { 'x-portcullis-identity': 'id.jwt.sig' },
    });
    await collect(opened);
    const sessionId = opened.kind === 'stream' ? opened.sessionId : undefined;
    await collect(await upstream.post(call('echo', 2), { timeoutMs: 2000, sessionId }));
    const methods = server.requests.map((request) => request.method);
    assert.deepEqual(methods, ['GET', 'POST', 'POST']);
    for (const { headers } of server.requests) {
      assert.equal(headers.authorization, 'Bearer static');
      assert.equal(headers['x-team'], 'platform');
    }
    assert.equal(server.requests[0]?.headers['x-portcullis-identity'], 'id.jwt.sig');
    assert.equal(server.requests[0]?.headers.accept, 'text/event-stream');
    assert.equal(server.requests[1]?.headers['x-portcullis-identity'], 'id.jwt.sig');
  });
});
