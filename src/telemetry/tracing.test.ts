import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import type {
  RawReply,
  StreamedMessage,
  Upstream,
  UpstreamCall,
  UpstreamOutcome,
} from '../upstream/upstream.ts';
import type { FinishedSpan } from './otlp-encode.ts';
import type { RequestRecord } from './request-record.ts';
import { createTracing } from './tracing.ts';

const SECRET = 'planted-secret-9f2c';
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const server = {
  workspaceId: 'acme',
  id: 'fixture',
  transport: 'http',
  url: 'https://mcp.example.com:8443/mcp',
} as ServerDefinition;

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'req-1',
    time: new Date(),
    workspaceId: 'acme',
    serverId: 'fixture',
    principalKind: 'api_key',
    principalId: 'u1',
    apiKeyId: 'k1',
    clientId: null,
    clientName: 'inspector',
    clientVersion: '1.0',
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-11-25',
    sessionTag: 'tag1',
    latencyMs: 5,
    upstreamLatencyMs: 3,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 10,
    bytesOut: 20,
    arguments: `{"token":"${SECRET}"}`,
    result: SECRET,
    traceId: null,
    ...overrides,
  };
}

/** An in-memory upstream: keeps what it is sent, answers from a script. */
function scriptedUpstream(answer: (message: unknown) => UpstreamOutcome | Error) {
  const posts: { message: unknown; call: UpstreamCall }[] = [];
  const forwards: { body: string; call: UpstreamCall }[] = [];
  const upstream: Upstream = {
    serverKey: 'acme/fixture',
    async post(message, call) {
      posts.push({ message, call });
      const outcome = answer(message);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    async listen() {
      return null;
    },
    async terminate() {},
    async forward(body, call): Promise<RawReply> {
      forwards.push({ body: String(body), call });
      return { status: 200, contentType: 'application/json', headers: {}, body: [] as never };
    },
    async close() {},
  };
  return { upstream, posts, forwards };
}

const json = (message: JsonRpcMessage): UpstreamOutcome => ({
  kind: 'json',
  status: 200,
  sessionId: undefined,
  message,
  bytes: 1,
});

function tracing() {
  const spans: FinishedSpan[] = [];
  return { spans, tracing: createTracing({ export: (span) => spans.push(span) }) };
}

describe('tracing', () => {
  it('starts a root span without context and notes its trace id on the record', () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({});
    const done = record();
    trace.end(done);
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span!.kind, 'server');
    assert.equal(span!.parentSpanId, undefined);
    assert.equal(span!.traceId, done.traceId);
    assert.equal(span!.name, 'tools/call echo');
    assert.equal(span!.attributes['mcp.session.id'], 'tag1');
    assert.equal(span!.attributes['portcullis.client.name'], 'inspector');
    assert.ok(span!.endMs - span!.startMs === 5);
  });

  it('ends a span once even when end is called twice', () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({});
    trace.end(record());
    trace.end(record());
    assert.equal(spans.length, 1);
  });

  it('marks a failed message as an error with its JSON-RPC code, never the upstream text', () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({});
    trace.end(record({ status: 'error', errorCode: -32602, errorMessage: `bad token ${SECRET}` }));
    assert.equal(spans[0]!.error, 'JSON-RPC error -32602');
    assert.equal(spans[0]!.attributes['error.type'], '-32602');
    const gateway = tracing();
    const refused = gateway.tracing.begin({});
    refused.end(
      record({ status: 'error', errorCode: -32001, errorMessage: 'upstream_unavailable' }),
    );
    assert.equal(gateway.spans[0]!.error, 'upstream_unavailable');
  });

  it('passes the client span context on in the header and in _meta, without touching the original message', async () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({ traceparent: PARENT, tracestate: 'v=1' });
    const { upstream, posts } = scriptedUpstream(() =>
      json({ jsonrpc: '2.0', id: 7, result: { content: [] } }),
    );
    const message = {
      jsonrpc: '2.0' as const,
      id: 7,
      method: 'tools/call',
      params: { name: 'echo', arguments: { token: SECRET }, _meta: { progressToken: 1 } },
    };
    await trace.upstream(upstream, server).post(message, { timeoutMs: 1000, headers: { a: 'b' } });
    trace.end(record());
    assert.deepEqual(message.params._meta, { progressToken: 1 });
    const client = spans.find((span) => span.kind === 'client')!;
    const server_ = spans.find((span) => span.kind === 'server')!;
    const expected = `00-0af7651916cd43dd8448eb211c80319c-${client.spanId}-01`;
    const sent = posts[0]!;
    assert.deepEqual(sent.call.headers, { a: 'b', traceparent: expected, tracestate: 'v=1' });
    assert.deepEqual((sent.message as typeof message).params._meta, {
      progressToken: 1,
      traceparent: expected,
      tracestate: 'v=1',
    });
    assert.equal(server_.parentSpanId, 'b7ad6b7169203331');
    assert.equal(client.parentSpanId, server_.spanId);
    assert.equal(client.attributes['server.address'], 'mcp.example.com');
    assert.equal(client.attributes['server.port'], 8443);
    assert.equal(client.attributes['jsonrpc.request.id'], '7');
    assert.ok(!JSON.stringify(spans).includes(SECRET));
  });

  it('adds context to every request of a batch and leaves responses as they are', async () => {
    const { tracing: t } = tracing();
    const trace = t.begin({});
    const { upstream, posts } = scriptedUpstream(() => ({
      kind: 'accepted',
      status: 202,
      sessionId: undefined,
    }));
    const answer = { jsonrpc: '2.0' as const, id: 3, result: {} };
    await trace
      .upstream(upstream, server)
      .post([{ jsonrpc: '2.0', method: 'notifications/progress' }, answer], { timeoutMs: 1000 });
    const [notification, response] = posts[0]!.message as JsonRpcMessage[];
    assert.match(
      String((notification!.params as { _meta: { traceparent: string } })._meta.traceparent),
      /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
    );
    assert.equal(response, answer);
  });

  it('ends a streamed call at its answer and notes a JSON-RPC error on the client span', async () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({});
    async function* messages(): AsyncGenerator<StreamedMessage> {
      yield {
        message: { jsonrpc: '2.0', method: 'notifications/progress' },
        eventId: undefined,
        retry: undefined,
      };
      yield {
        message: { jsonrpc: '2.0', id: 9, error: { code: -32000, message: SECRET } },
        eventId: undefined,
        retry: undefined,
      };
    }
    const { upstream } = scriptedUpstream(() => ({
      kind: 'stream',
      status: 200,
      sessionId: undefined,
      messages: messages(),
    }));
    const outcome = await trace
      .upstream(upstream, server)
      .post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { timeoutMs: 1000 });
    assert.equal(outcome.kind, 'stream');
    const seen: unknown[] = [];
    if (outcome.kind === 'stream')
      for await (const item of outcome.messages) seen.push(item.message);
    assert.equal(seen.length, 2);
    trace.end(record({ method: 'tools/list', target: null }));
    const client = spans.find((span) => span.kind === 'client')!;
    assert.equal(client.error, 'JSON-RPC error -32000');
    assert.equal(client.attributes['rpc.response.status_code'], '-32000');
    assert.ok(!JSON.stringify(spans).includes(SECRET));
  });

  it('records a failed upstream call by its gateway error code', async () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({});
    const { upstream } = scriptedUpstream(() => new GatewayError('upstream_unavailable'));
    await assert.rejects(
      trace
        .upstream(upstream, server)
        .post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { timeoutMs: 1 }),
    );
    trace.end(record({ method: 'ping', target: null }));
    assert.equal(spans.find((span) => span.kind === 'client')!.error, 'upstream_unavailable');
  });

  it('re-serializes a forwarded body with the context, and forwards a non-JSON body untouched', async () => {
    const { tracing: t } = tracing();
    const trace = t.begin({});
    const { upstream, forwards } = scriptedUpstream(() => new Error('unused'));
    const traced = trace.upstream(upstream, server);
    await traced.forward(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { a: 1 } } }),
      { timeoutMs: 1000 },
    );
    await traced.forward(Buffer.from('not json'), { timeoutMs: 1000 });
    const body = JSON.parse(forwards[0]!.body) as { params: { _meta: Record<string, unknown> } };
    assert.equal(body.params._meta.a, 1);
    assert.equal(body.params._meta.traceparent, forwards[0]!.call.headers?.traceparent);
    assert.equal(forwards[1]!.body, 'not json');
  });

  it('follows an unsampled parent: passes it on, exports nothing', async () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({ traceparent: PARENT.replace(/01$/, '00') });
    const { upstream, posts } = scriptedUpstream(() => json({ jsonrpc: '2.0', id: 1, result: {} }));
    await trace
      .upstream(upstream, server)
      .post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { timeoutMs: 1 });
    const done = record();
    trace.end(done);
    assert.equal(spans.length, 0);
    assert.equal(done.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.match(
      String(posts[0]!.call.headers?.traceparent),
      /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/,
    );
  });

  it('takes params._meta.traceparent as the parent and links a different header context', () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({ traceparent: PARENT });
    trace.adopt({
      jsonrpc: '2.0',
      id: 'x',
      method: 'ping',
      params: { _meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
    });
    trace.end(record({ method: 'ping', target: null }));
    assert.equal(spans[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(spans[0]!.parentSpanId, '00f067aa0ba902b7');
    assert.deepEqual(spans[0]!.links, [
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' },
    ]);
    assert.equal(spans[0]!.attributes['jsonrpc.request.id'], 'x');
  });

  it('ignores a malformed _meta traceparent', () => {
    const { spans, tracing: t } = tracing();
    const trace = t.begin({ traceparent: PARENT });
    trace.adopt({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
      params: { _meta: { traceparent: 'junk' } },
    });
    trace.end(record());
    assert.equal(spans[0]!.parentSpanId, 'b7ad6b7169203331');
  });

  it('drops the userinfo of a resource URI', () => {
    const { spans, tracing: t } = tracing();
    t.begin({}).end(
      record({
        method: 'resources/read',
        target: `postgres://admin:${SECRET}@db.internal/customers`,
      }),
    );
    assert.equal(spans[0]!.attributes['mcp.resource.uri'], 'postgres://db.internal/customers');
    assert.equal(spans[0]!.name, 'resources/read');
  });
});
