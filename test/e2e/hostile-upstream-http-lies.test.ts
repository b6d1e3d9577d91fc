/**
 * Upstreams that lie about their answers, through a real gateway in both
 * eras: the client gets a well-formed JSON-RPC answer for its own request
 * within the timeout (an error when the upstream's answer cannot be
 * trusted), never another request's answer, and the gateway keeps serving.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import { startHostileServer } from '../fixtures/hostile-upstreams/hostile-server.ts';
import type {
  RunningHostileServer,
  ToolCallHandler,
} from '../fixtures/hostile-upstreams/hostile-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost, modernRequest, openLegacySession } from '../support/mcp-http.ts';
import type { RawAnswer } from '../support/mcp-http.ts';

const TIMEOUT_MS = 800;

let hostile: RunningHostileServer;
let gateway: TestGateway;
let auth: Record<string, string>;

before(async () => {
  hostile = await startHostileServer((res) => res.writeHead(500).end());
  gateway = await startTestGateway({
    servers: [{ id: 'hostile', url: hostile.url, timeout_ms: TIMEOUT_MS }],
  });
  auth = { authorization: `Bearer ${gateway.apiKey}` };
});

after(async () => {
  await gateway.close();
  await hostile.close();
});

const legacySession = (): Promise<Record<string, string>> =>
  openLegacySession(gateway.endpoint('hostile'), auth);

async function call(era: '2025' | 'modern', id: string): Promise<RawAnswer> {
  const url = gateway.endpoint('hostile');
  const deadline = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no answer in time')), TIMEOUT_MS + 1_000).unref(),
  );
  if (era === '2025') {
    const headers = await legacySession();
    const body = {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'echo', arguments: {} },
    };
    return Promise.race([mcpPost(url, body, headers), deadline]);
  }
  const modern = modernRequest(id, 'tools/call', { name: 'echo', arguments: {} });
  return Promise.race([mcpPost(url, modern.body, { ...auth, ...modern.headers }), deadline]);
}

type Response = { id?: unknown; result?: unknown; error?: { data?: { reason?: string } } };

/** Every response the client got answers its own request, and exactly one did. */
function ownAnswer(answer: RawAnswer, id: string): Response {
  const responses = (answer.messages as Response[]).filter((m) => 'result' in m || 'error' in m);
  assert.deepEqual(
    responses.map((m) => m.id),
    [id],
    JSON.stringify(answer.messages).slice(0, 500),
  );
  return responses[0]!;
}

function json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function sse(res: ServerResponse, messages: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const message of messages) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  res.end();
}

const ok = (id: unknown) => ({ jsonrpc: '2.0', id, result: { content: [] } });

async function servesAfterwards(era: '2025' | 'modern'): Promise<void> {
  hostile.onToolCall = (res, request) => json(res, ok(request.id));
  const answer = await call(era, 'honest');
  assert.ok(ownAnswer(answer, 'honest').result);
}

const LIES: { name: string; handler: ToolCallHandler; expect: 'error' | 'result' }[] = [
  {
    name: 'a JSON answer with another id is an upstream_protocol_error',
    handler: (res, request) => json(res, ok(`${String(request.id)}x`)),
    expect: 'error',
  },
  {
    name: 'a JSON answer with result and error both present is an upstream_protocol_error',
    handler: (res, request) =>
      json(res, { ...ok(request.id), error: { code: -32000, message: 'and also no' } }),
    expect: 'error',
  },
  {
    name: 'an SSE answer to a request never sent is dropped and the real answer follows',
    handler: (res, request) => sse(res, [ok(`${String(request.id)}x`), ok(999), ok(request.id)]),
    expect: 'result',
  },
  {
    name: 'an SSE stream with only another request id ends in an error for this request',
    handler: (res, request) => sse(res, [ok(`${String(request.id)}x`)]),
    expect: 'error',
  },
  {
    name: 'two answers for one request in one SSE stream reach the client once',
    handler: (res, request) =>
      sse(res, [
        ok(request.id),
        { jsonrpc: '2.0', id: request.id, error: { code: 1, message: 'second' } },
      ]),
    expect: 'result',
  },
  {
    name: 'Content-Type application/json with an SSE body is an upstream_protocol_error',
    handler: (res, request) =>
      json(res, `event: message\ndata: ${JSON.stringify(ok(request.id))}\n\n`),
    expect: 'error',
  },
  {
    name: 'Content-Type text/event-stream with a JSON body ends in an error for this request',
    handler: (res, request) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(JSON.stringify(ok(request.id)));
    },
    expect: 'error',
  },
  {
    name: 'an Mcp-Session-Id that changes on every response does not disturb the answer',
    handler: (res, request) => json(res, ok(request.id), { 'mcp-session-id': crypto.randomUUID() }),
    expect: 'result',
  },
];

for (const era of ['2025', 'modern'] as const) {
  describe(`upstreams that lie over HTTP (${era} era)`, () => {
    for (const lie of LIES) {
      it(lie.name, async () => {
        hostile.onToolCall = lie.handler;
        const response = ownAnswer(await call(era, `lie-${era}`), `lie-${era}`);
        if (lie.expect === 'result') assert.ok(response.result, JSON.stringify(response));
        else
          assert.ok(
            response.error?.data?.reason?.startsWith('upstream_'),
            JSON.stringify(response),
          );
        await servesAfterwards(era);
      });
    }
  });
}
