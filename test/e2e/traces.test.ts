/**
 * OpenTelemetry traces end to end: a client's W3C trace context (HTTP
 * `traceparent` or `params._meta.traceparent`) becomes the parent of the
 * gateway's SERVER span, each upstream call is a CLIENT span under it, the
 * upstream receives the client span's context in both carriers, the spans
 * reach a real OTLP/HTTP receiver, and the record carries the trace id.
 * No secret from arguments, headers or the session id reaches a span.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import type { OtlpReceiver, ReceivedSpan } from '../fixtures/otlp-receiver.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import { startRecordingProxy } from '../support/recording-proxy.ts';
import type { RunningRecordingProxy } from '../support/recording-proxy.ts';

const SECRET = 'sk-live-PLANTED-SECRET-7f3a9c';
const HEADER_SECRET = 'planted-header-secret-51b2';
const TRACE_A = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
const TRACE_B = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const TRACE_C = { traceId: 'a3ce929d0e0e47364bf92f3577b34da6', spanId: '1111111111111111' };
const TRACE_D = { traceId: 'ddddeeee0e0e47364bf92f3577b34da6', spanId: '2222222222222222' };
const tp = (c: { traceId: string; spanId: string }, flags = '01') =>
  `00-${c.traceId}-${c.spanId}-${flags}`;

const TRACE_S = { traceId: '5555eeee0e0e47364bf92f3577b34da6', spanId: '3333333333333333' };
const fixtureMain = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const SERVER = 2;
const CLIENT = 3;

describe('traces', () => {
  let receiver: OtlpReceiver;
  let upstream: RunningFixtureServer;
  let proxy: RunningRecordingProxy;
  let gateway: TestGateway;
  let records: RequestRecord[] = [];
  let sessionId = '';

  before(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startFixtureServer({ era: 'dual' });
    proxy = await startRecordingProxy(upstream.url);
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: proxy.url },
        {
          id: 'local',
          transport: 'stdio',
          command: process.execPath,
          args: [fixtureMain, '--stdio', '--era', 'legacy'],
        },
      ],
      env: {
        PORTCULLIS_OTLP_ENDPOINT: receiver.url,
        PORTCULLIS_OTLP_HEADERS: 'x-collector-key=abc%3D1, x-tenant = t1',
      },
    });
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const url = gateway.endpoint('fixture');
    const init = await mcpPost(url, initializeBody(1), auth);
    sessionId = String(init.headers['mcp-session-id']);
    const session = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);

    // A: the HTTP traceparent is the parent; secrets in arguments and an extra header.
    await mcpPost(
      url,
      {
        jsonrpc: '2.0',
        id: 'call-a',
        method: 'tools/call',
        params: { name: 'test_simple_text', arguments: { api_token: SECRET } },
      },
      { ...session, traceparent: tp(TRACE_A), tracestate: 'vendor=a1', 'x-api-key': HEADER_SECRET },
    );
    // B: `_meta.traceparent` wins over the header (C), which becomes a link.
    await mcpPost(
      url,
      {
        jsonrpc: '2.0',
        id: 'call-b',
        method: 'tools/call',
        params: { name: 'test_simple_text', arguments: {}, _meta: { traceparent: tp(TRACE_B) } },
      },
      { ...session, traceparent: tp(TRACE_C) },
    );
    // D: modern era, byte pass-through to a modern upstream.
    const modern = modernRequest('call-d', 'tools/call', {
      name: 'test_simple_text',
      arguments: { password: SECRET },
    });
    await mcpPost(url, modern.body, { ...auth, ...modern.headers, traceparent: tp(TRACE_D) });
    // E: an unsampled parent is followed: context passed on, nothing exported.
    await mcpPost(
      url,
      { jsonrpc: '2.0', id: 'call-e', method: 'tools/list' },
      { ...session, traceparent: tp(TRACE_C, '00') },
    );
    // S: a stdio server, where _meta is the only carrier.
    const local = gateway.endpoint('local');
    const stdioInit = await mcpPost(local, initializeBody(1), auth);
    await mcpPost(
      local,
      {
        jsonrpc: '2.0',
        id: 'call-s',
        method: 'tools/call',
        params: { name: 'test_simple_text', arguments: {} },
      },
      {
        ...auth,
        'mcp-session-id': String(stdioInit.headers['mcp-session-id']),
        'mcp-protocol-version': '2025-11-25',
        traceparent: tp(TRACE_S),
      },
    );
    // F: no context at all: a new trace.
    await mcpPost(url, { jsonrpc: '2.0', id: 'call-f', method: 'ping' }, session);
    records = await gateway.closeAndReadRecords();
  });

  after(async () => {
    await gateway?.close();
    await proxy?.close();
    await upstream?.close();
    await receiver?.close();
  });

  const serverSpan = (traceId: string): ReceivedSpan => {
    const found = receiver.spans.filter((s) => s.kind === SERVER && s.traceId === traceId);
    assert.equal(found.length, 1, `one server span in trace ${traceId}`);
    return found[0]!;
  };
  const childrenOf = (span: ReceivedSpan): ReceivedSpan[] =>
    receiver.spans.filter((s) => s.parentSpanId === span.spanId);

  it('exports every span as well-formed OTLP JSON with the configured headers and resource', () => {
    assert.deepEqual(receiver.rejected, []);
    assert.ok(receiver.requests.length > 0);
    for (const request of receiver.requests) {
      assert.equal(request.headers['x-collector-key'], 'abc=1');
      assert.equal(request.headers['x-tenant'], 't1');
    }
    for (const span of receiver.spans) {
      assert.equal(span.resource['service.name'], 'portcullis');
      assert.equal(span.scope, 'portcullis');
    }
  });

  it('makes the client traceparent header the parent of the server span, and the upstream call its child', () => {
    const server = serverSpan(TRACE_A.traceId);
    assert.equal(server.parentSpanId, TRACE_A.spanId);
    assert.equal(server.name, 'tools/call test_simple_text');
    assert.equal(server.attributes['mcp.method.name'], 'tools/call');
    assert.equal(server.attributes['gen_ai.tool.name'], 'test_simple_text');
    assert.equal(server.attributes['gen_ai.operation.name'], 'execute_tool');
    assert.equal(server.attributes['jsonrpc.request.id'], 'call-a');
    assert.equal(server.attributes['mcp.protocol.version'], '2025-11-25');
    assert.equal(server.attributes['portcullis.workspace.id'], 'acme');
    assert.equal(server.attributes['portcullis.server.id'], 'fixture');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(typeof server.attributes['mcp.session.id'], 'string');
    assert.equal(server.status.code, 0);

    const clients = childrenOf(server);
    assert.equal(clients.length, 1);
    const client = clients[0]!;
    assert.equal(client.kind, CLIENT);
    assert.equal(client.traceId, TRACE_A.traceId);
    assert.equal(client.name, 'tools/call test_simple_text');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.ok(client.startNs >= server.startNs && client.endNs <= server.endNs);

    // The upstream saw the client span's context in the header and in _meta, tracestate kept.
    const expected = tp({ traceId: TRACE_A.traceId, spanId: client.spanId });
    const seen = proxy.exchanges.filter(
      (e) => e.method === 'POST' && e.headers.traceparent === expected,
    );
    assert.equal(seen.length, 1);
    const body = seen[0]!.body as { method: string; params: { _meta: Record<string, string> } };
    assert.equal(body.method, 'tools/call');
    assert.equal(body.params._meta.traceparent, expected);
    assert.equal(body.params._meta.tracestate, 'vendor=a1');
    assert.equal(seen[0]!.headers.tracestate, 'vendor=a1');
  });

  it('prefers params._meta.traceparent over the header and links the header context', () => {
    assert.equal(receiver.spans.filter((s) => s.traceId === TRACE_C.traceId).length, 0);
    const server = serverSpan(TRACE_B.traceId);
    assert.equal(server.parentSpanId, TRACE_B.spanId);
    assert.deepEqual(server.links, [TRACE_C]);
    const [client] = childrenOf(server);
    assert.ok(client !== undefined);
    const seen = proxy.exchanges.find(
      (e) => e.headers.traceparent === tp({ traceId: TRACE_B.traceId, spanId: client.spanId }),
    );
    assert.ok(seen !== undefined, 'the upstream received the gateway span, not the client one');
  });

  it('traces the modern era byte pass-through the same way', () => {
    const server = serverSpan(TRACE_D.traceId);
    assert.equal(server.parentSpanId, TRACE_D.spanId);
    assert.equal(server.attributes['mcp.protocol.version'], '2026-07-28');
    assert.equal(server.attributes['portcullis.era'], 'modern');
    const client = childrenOf(server).find((s) => s.name === 'tools/call test_simple_text');
    assert.ok(client !== undefined);
    assert.equal(client.kind, CLIENT);
    assert.ok(client.endNs <= server.endNs);
    const expected = tp({ traceId: TRACE_D.traceId, spanId: client.spanId });
    const seen = proxy.exchanges.find((e) => e.headers.traceparent === expected);
    assert.ok(seen !== undefined);
    const body = seen.body as { params: { _meta: Record<string, unknown> } };
    assert.equal(body.params._meta.traceparent, expected);
    // The modern envelope is intact around the added key.
    assert.equal(body.params._meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28');
  });

  it('traces calls to a stdio server as pipe transport', () => {
    const server = serverSpan(TRACE_S.traceId);
    assert.equal(server.parentSpanId, TRACE_S.spanId);
    assert.equal(server.attributes['portcullis.server.id'], 'local');
    const client = childrenOf(server).find((s) => s.name === 'tools/call test_simple_text');
    assert.ok(client !== undefined);
    assert.equal(client.attributes['network.transport'], 'pipe');
    assert.equal(client.attributes['server.address'], undefined);
    assert.equal(client.status.code, 0);
  });

  it('follows an unsampled parent: the context goes upstream, no span is exported', () => {
    const seen = proxy.exchanges.find(
      (e) =>
        typeof e.headers.traceparent === 'string' &&
        e.headers.traceparent.startsWith(`00-${TRACE_C.traceId}-`),
    );
    assert.ok(seen !== undefined);
    assert.match(String(seen.headers.traceparent), /-00$/);
    assert.notEqual(String(seen.headers.traceparent), tp(TRACE_C, '00'));
  });

  it('starts a new trace without a parent, and the record carries its trace id', () => {
    const ping = records.find((r) => r.method === 'ping');
    assert.ok(ping?.traceId);
    assert.match(ping.traceId, /^[0-9a-f]{32}$/);
    const server = serverSpan(ping.traceId);
    assert.equal(server.parentSpanId, undefined);
    assert.equal(server.attributes['portcullis.request.id'], ping.id);
    const call = records.find((r) => r.method === 'tools/call' && r.traceId === TRACE_A.traceId);
    assert.ok(call !== undefined);
    assert.equal(serverSpan(TRACE_A.traceId).attributes['portcullis.request.id'], call.id);
    for (const record of records) assert.match(String(record.traceId), /^[0-9a-f]{32}$/);
  });

  it('never puts arguments, credentials or the session id in a span', () => {
    const exported = receiver.requests.map((request) => request.body).join('\n');
    for (const secret of [SECRET, HEADER_SECRET, gateway.apiKey, sessionId])
      assert.equal(exported.includes(secret), false, `a span holds ${secret.slice(0, 8)}…`);
  });
});
