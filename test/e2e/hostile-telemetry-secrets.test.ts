/**
 * Secrets a client or an upstream puts in front of the gateway, on a real
 * gateway with full capture, trace-level logs and a real OTLP receiver:
 * credentials in headers and the query string, a key under an innocuous
 * argument, an OAuth code and a password in a resource URI, a bearer token
 * in an upstream error. None reaches a record, a log line or a span.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import type { OtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

const SECRETS = {
  cookie: 'sessioncookievalue7Hq2Lw9Zx4',
  apiKeyHeader: 'headerkeyvalue3Jf8Nc1Vb6Rt',
  queryToken: 'querytokenvalue5Kd2Mx8Pz1Wy',
  argument: `pcl_${'A1b2C3d4E5f6G7h8J9k0'.repeat(2)}`,
  oauthCode: 'SplxlOBeZQQYbYS6WxSbIA7c2Vq9Lm4Xe',
  uriPassword: 'hunter2uripassword',
  upstreamBearer: 'zq9Xk2Lm7Pw4Rt6Yv8Bn3Cd5Fg1Hj0Ks',
};

describe('secrets in records, logs and spans', () => {
  let upstream: RunningFixtureServer;
  let receiver: OtlpReceiver;
  let gateway: TestGateway;
  let records: RequestRecord[] = [];
  const logLines: string[] = [];
  let spansText = '';

  before(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startFixtureServer({ era: 'dual' });
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
      servers: [{ id: 'fixture', url: upstream.url, capture: 'full' }],
      env: { PORTCULLIS_OTLP_ENDPOINT: receiver.url },
      logger,
    });
    const url = `${gateway.endpoint('fixture')}?token=${SECRETS.queryToken}`;
    const auth = {
      authorization: `Bearer ${gateway.apiKey}`,
      cookie: `sid=${SECRETS.cookie}`,
      'x-api-key': SECRETS.apiKeyHeader,
    };
    const init = await mcpPost(url, initializeBody(1), auth);
    const session = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    const call = (id: number, method: string, params: Record<string, unknown>) =>
      mcpPost(url, { jsonrpc: '2.0', id, method, params }, session);
    await call(2, 'tools/call', { name: 'test_simple_text', arguments: { q: SECRETS.argument } });
    await call(3, 'resources/read', {
      uri: `https://alice:${SECRETS.uriPassword}@example.test/cb?code=${SECRETS.oauthCode}`,
    });
    await call(4, 'tools/call', { name: `Bearer ${SECRETS.upstreamBearer}`, arguments: {} });
    await mcpPost(url, initializeBody(5), { ...auth, authorization: 'Bearer not-a-valid-key' });
    await receiver.waitForSpans(5, 4000);
    records = await gateway.closeAndReadRecords();
    spansText = receiver.requests.map((r) => r.body).join('\n');
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    await receiver?.close();
  });

  for (const [name, secret] of Object.entries(SECRETS)) {
    it(`keeps the ${name} out of records, logs and spans`, () => {
      assert.ok(records.length >= 5 && spansText.length > 0 && logLines.length > 0);
      assert.ok(!JSON.stringify(records).includes(secret), 'records');
      assert.ok(!logLines.join('').includes(secret), 'logs');
      assert.ok(!spansText.includes(secret), 'spans');
    });
  }
  it('keeps the API key itself out of records, logs and spans', () => {
    const key = gateway.apiKey;
    assert.ok(!JSON.stringify(records).includes(key));
    assert.ok(!logLines.join('').includes(key));
    assert.ok(!spansText.includes(key));
  });
});
