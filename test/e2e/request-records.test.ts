/**
 * One request record per MCP message, written to the store off the hot path
 * and flushed at shutdown: who, which server, which method and tool, era,
 * latency, status, error code, bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';

describe('request records', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let records: RequestRecord[] = [];
  const CONCURRENT_CALLS = 40;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const url = gateway.endpoint('fixture');

    const init = await mcpPost(url, initializeBody(1), auth);
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    await Promise.all(
      Array.from({ length: CONCURRENT_CALLS }, (_, i) =>
        mcpPost(
          url,
          {
            jsonrpc: '2.0',
            id: 100 + i,
            method: 'tools/call',
            params: { name: 'test_simple_text', arguments: {} },
          },
          headers,
        ),
      ),
    );
    await mcpPost(
      url,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'no_such_tool', arguments: {} },
      },
      headers,
    );
    const modern = modernRequest(3, 'tools/call', { name: 'test_simple_text', arguments: {} });
    await mcpPost(url, modern.body, { ...auth, ...modern.headers });
    await mcpPost(url, initializeBody(4), { authorization: 'Bearer wrong' });

    records = await gateway.closeAndReadRecords();
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('writes exactly one record per message, concurrent ones included', () => {
    const calls = records.filter(
      (r) => r.method === 'tools/call' && r.era === 'legacy' && r.target === 'test_simple_text',
    );
    assert.equal(calls.length, CONCURRENT_CALLS);
    // The rejected initialize is recorded before its body is read (credentials are checked first).
    assert.equal(records.filter((r) => r.method === 'initialize').length, 1);
    assert.equal(records.filter((r) => r.method === 'notifications/initialized').length, 1);
    assert.equal(records.length, CONCURRENT_CALLS + 5);
  });

  it('fills who, where, what and how long', () => {
    const call = records.find((r) => r.target === 'test_simple_text' && r.era === 'legacy')!;
    assert.equal(call.workspaceId, 'acme');
    assert.equal(call.serverId, 'fixture');
    assert.equal(call.principalKind, 'api_key');
    assert.ok(call.principalId && call.apiKeyId);
    assert.equal(call.protocolVersion, '2025-11-25');
    assert.ok(call.sessionTag && call.sessionTag.length >= 8);
    assert.equal(call.status, 'ok');
    assert.equal(call.httpStatus, 200);
    assert.ok(
      call.latencyMs > 0 &&
        call.upstreamLatencyMs !== null &&
        call.upstreamLatencyMs <= call.latencyMs,
    );
    assert.ok(call.bytesIn > 0 && call.bytesOut > 0);
    // The client as it declared itself at initialize; an API key carries no OAuth client.
    assert.equal(call.clientName, 'raw-test');
    assert.equal(call.clientVersion, '1.0.0');
    assert.equal(call.clientId, null);
    // Capture defaults to metadata: no bodies; tracing is off: no trace id.
    assert.equal(call.arguments, null);
    assert.equal(call.result, null);
    assert.equal(call.traceId, null);
  });

  it('fills the same fields on every one of the concurrent calls', () => {
    const calls = records.filter((r) => r.target === 'test_simple_text' && r.era === 'legacy');
    assert.equal(new Set(calls.map((r) => r.id)).size, CONCURRENT_CALLS);
    for (const call of calls) {
      assert.equal(call.status, 'ok');
      assert.equal(call.sessionTag, calls[0]!.sessionTag);
      assert.equal(call.principalId, calls[0]!.principalId);
      assert.equal(call.clientName, 'raw-test');
      assert.ok(call.upstreamLatencyMs !== null && call.latencyMs >= call.upstreamLatencyMs);
    }
  });

  it('records the upstream JSON-RPC error of a failed call', () => {
    const failed = records.find((r) => r.target === 'no_such_tool')!;
    assert.equal(failed.status, 'error');
    assert.equal(typeof failed.errorCode, 'number');
  });

  it('records modern-era messages with their era and version', () => {
    const modern = records.find((r) => r.era === 'modern')!;
    assert.equal(modern.method, 'tools/call');
    assert.equal(modern.protocolVersion, '2026-07-28');
    assert.equal(modern.status, 'ok');
    assert.equal(modern.clientName, 'raw-test');
  });

  it('records a rejected credential as an error without a principal', () => {
    const rejected = records.find((r) => r.httpStatus === 401)!;
    assert.equal(rejected.status, 'error');
    assert.equal(rejected.principalId, null);
    assert.equal(rejected.errorMessage, 'unauthorized');
  });
});
