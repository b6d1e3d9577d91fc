/**
 * Capture modes end to end: `full` keeps redacted arguments and results,
 * `metadata` keeps no body, `off` keeps no record. Secrets planted in
 * arguments and headers never reach a record or a log line, and the client's
 * name and version are recorded in both eras.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';

const PASSWORD = 'planted-password-7f3a9c';
const BEARER = 'planted0bearer0token0e81b';
const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLWp3dC1zdWJqZWN0In0.cGxhbnRlZC1qd3Qtc2lnbmF0dXJl';
const HEADER_SECRET = 'planted-header-secret-41d2';
const COOKIE_SECRET = 'planted-cookie-secret-93ab';
const PLANTED = [PASSWORD, BEARER, JWT, HEADER_SECRET, COOKIE_SECRET];

describe('request records: capture and redaction', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let records: RequestRecord[] = [];
  let logText = '';

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    const logLines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    gateway = await startTestGateway({
      servers: [
        {
          id: 'full',
          url: upstream.url,
          capture: { mode: 'full', masks: ['arguments.region'] },
        },
        { id: 'meta', url: upstream.url },
        { id: 'quiet', url: upstream.url, capture: 'off' },
      ],
      logger,
    });
    const leaky = {
      authorization: `Bearer ${gateway.apiKey}`,
      'x-api-key': HEADER_SECRET,
      cookie: `sid=${COOKIE_SECRET}`,
    };
    const echo = {
      name: 'test_custom_headers',
      arguments: { region: 'eu-west-1', password: PASSWORD, note: `use Bearer ${BEARER}` },
    };
    for (const server of ['full', 'meta', 'quiet']) {
      const url = gateway.endpoint(server);
      const init = await mcpPost(
        url,
        initializeBody(1, {}, { name: 'records-e2e', version: '3.1.4' }),
        leaky,
      );
      const session = {
        ...leaky,
        'mcp-session-id': String(init.headers['mcp-session-id']),
        'mcp-protocol-version': '2025-11-25',
      };
      const call = await mcpPost(
        url,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: echo },
        session,
      );
      assert.equal(call.status, 200, call.text);
      await mcpPost(
        url,
        {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: {
            name: 'json_schema_2020_12_tool',
            arguments: { name: JWT, email: 'ann@example.com' },
          },
        },
        session,
      );
      const modern = modernRequest(4, 'tools/call', echo);
      // SEP-2243: the fixture's `region` is an x-mcp-header parameter, mirrored by modern clients.
      await mcpPost(url, modern.body, {
        ...leaky,
        ...modern.headers,
        'mcp-param-region': 'eu-west-1',
      });
    }
    records = await gateway.closeAndReadRecords();
    logText = logLines.join('');
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('keeps no record of a server whose capture is off, and records the others', () => {
    assert.equal(records.filter((r) => r.serverId === 'quiet').length, 0);
    assert.equal(records.filter((r) => r.serverId === 'full').length, 4);
    assert.equal(records.filter((r) => r.serverId === 'meta').length, 4);
  });

  it('keeps no body in metadata mode', () => {
    for (const record of records.filter((r) => r.serverId === 'meta')) {
      assert.equal(record.arguments, null);
      assert.equal(record.result, null);
    }
  });

  it('captures redacted arguments and results in full mode, in both eras', () => {
    const calls = records.filter(
      (r) => r.serverId === 'full' && r.target === 'test_custom_headers',
    );
    assert.deepEqual(calls.map((r) => r.era).sort(), ['legacy', 'modern']);
    for (const call of calls) {
      assert.deepEqual(JSON.parse(call.arguments!), {
        region: '[redacted]',
        password: '[redacted]',
        note: 'use [redacted]',
      });
      // The fixture echoes the region, which the server's mask hides in the answer too.
      assert.match(call.result!, /region=\[redacted\]/);
    }
    const echoed = records.find(
      (r) => r.target === 'json_schema_2020_12_tool' && r.serverId === 'full',
    )!;
    assert.deepEqual(JSON.parse(echoed.arguments!), {
      name: '[redacted]',
      email: 'ann@example.com',
    });
    assert.match(echoed.result!, /called with/);
  });

  it('never stores a planted secret or the caller credential in any record', () => {
    const stored = JSON.stringify(records);
    for (const secret of [...PLANTED, gateway.apiKey])
      assert.equal(stored.includes(secret), false, `${secret} reached a record`);
  });

  it('never logs a planted secret or the caller credential', () => {
    assert.ok(logText.length > 0, 'the gateway logged something');
    for (const secret of [...PLANTED, gateway.apiKey])
      assert.equal(logText.includes(secret), false, `${secret} reached the log`);
  });

  it('records the client name and version: legacy from initialize, modern from _meta', () => {
    const legacy = records.filter((r) => r.serverId === 'full' && r.era === 'legacy');
    assert.ok(legacy.length === 3);
    for (const record of legacy) {
      assert.equal(record.clientName, 'records-e2e');
      assert.equal(record.clientVersion, '3.1.4');
      assert.equal(record.clientId, null);
    }
    const modern = records.find((r) => r.serverId === 'full' && r.era === 'modern')!;
    assert.equal(modern.clientName, 'raw-test');
    assert.equal(modern.clientVersion, '1.0.0');
  });
});
