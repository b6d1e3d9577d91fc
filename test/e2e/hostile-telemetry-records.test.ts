/**
 * Request records under hostile values, on a real gateway: a huge tool
 * name, methods with line breaks and control characters, an enormous client
 * name, and credentials inside an upstream error or a resource URI. Records
 * stay bounded, the exports stay one record per line, no secret is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';

const HUGE_TOOL = `huge_${'t'.repeat(1024 * 1024)}`;
const BROKEN_METHOD = 'evil/\nline\r\u2028sep\u2029x\u0000\u001b[31m"quote",=cmd';
const BEARER = 'Bearer zq9Xk2Lm7Pw4Rt6Yv8Bn3Cd5Fg1Hj0Ks';
const OAUTH_CODE = 'SplxlOBeZQQYbYS6WxSbIA7c2Vq9Lm4Xe';

describe('request records under hostile values', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let ndjson = '';
  let csv = '';
  let records: RequestRecord[] = [];

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const url = gateway.endpoint('fixture');
    const init = await mcpPost(url, initializeBody(1), auth);
    const modern = modernRequest(6, 'tools/list');
    modern.body.params._meta['io.modelcontextprotocol/clientInfo'] = {
      name: `client-${'c'.repeat(100 * 1024)}`,
      version: 'v'.repeat(5000),
    };
    await mcpPost(url, modern.body, { ...auth, ...modern.headers });
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    const call = (id: number, method: string, params: Record<string, unknown>) =>
      mcpPost(url, { jsonrpc: '2.0', id, method, params }, headers);
    await call(2, 'tools/call', { name: HUGE_TOOL, arguments: {} });
    await call(3, BROKEN_METHOD, {});
    await call(4, 'tools/call', { name: BEARER, arguments: {} });
    await call(5, 'resources/read', {
      uri: `https://alice:hunter2secret@example.test/cb?code=${OAUTH_CODE}&state=x`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const base = `${gateway.url}/api/v1/workspaces/acme/records/export`;
    ndjson = await (await request(`${base}?format=ndjson`, { headers: auth })).body.text();
    csv = await (await request(`${base}?format=csv`, { headers: auth })).body.text();
    records = await gateway.closeAndReadRecords();
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('stores a megabyte tool name and a 100 KB client name bounded', () => {
    for (const record of records) {
      assert.ok((record.target ?? '').length <= 1024, `target of ${record.method} is bounded`);
      assert.ok(record.method.length <= 1024, 'method is bounded');
      assert.ok((record.clientName ?? '').length <= 200, 'client name is bounded');
      assert.ok((record.clientVersion ?? '').length <= 200, 'client version is bounded');
    }
    assert.ok(records.some((r) => r.target?.startsWith('huge_ttt')));
  });

  it('exports one NDJSON line per record, line breaks and separators escaped', () => {
    const lines = ndjson.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, records.length);
    for (const line of lines) {
      assert.doesNotMatch(line, /[\r\u2028\u2029]/);
      JSON.parse(line);
    }
    const methods = lines.map((line) => (JSON.parse(line) as { method: string }).method);
    assert.ok(
      methods.includes('evil/\\u000aline\\u000d\\u2028sep\\u2029x\\u0000\\u001b[31m"quote",=cmd'),
    );
  });

  it('exports CSV rows with no raw line break inside a field', () => {
    const rows = csv.split('\r\n').filter((row) => row !== '');
    assert.equal(rows.length, records.length + 1, 'a header and one line per record');
    assert.doesNotMatch(csv.replaceAll('\r\n', ''), /[\r\n\u2028\u2029]/);
  });

  it('stores no credential from an upstream error or a resource URI', () => {
    const stored = JSON.stringify(records);
    assert.ok(!stored.includes(BEARER.slice(7)), 'the bearer token is not stored');
    assert.ok(!stored.includes(OAUTH_CODE), 'the OAuth code is not stored');
    assert.ok(!stored.includes('hunter2secret'), 'the URI password is not stored');
  });
});
