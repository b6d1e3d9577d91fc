/**
 * A 2025 session id carries the client's capabilities and client info,
 * sealed. An initialize declaring enormous ones must be refused clearly:
 * the id would not fit in a request header (Node refuses headers over
 * 16 KB, so the client could never send it back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

describe('the size of a 2025 session id', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let auth: Record<string, string>;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    auth = { authorization: `Bearer ${gateway.apiKey}` };
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses an initialize whose client info would not fit in a session id, with -32602', async () => {
    const answer = await mcpPost(
      gateway.endpoint('fixture'),
      initializeBody(1, {}, { name: `client-${'c'.repeat(100 * 1024)}`, version: '1.0.0' }),
      auth,
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.headers['mcp-session-id'], undefined);
    const error = (answer.json as { error?: { code: number; message: string } }).error;
    assert.equal(error?.code, -32602, answer.text);
    assert.match(error.message, /too large for a session id/);
  });

  it('refuses enormous capabilities the same way', async () => {
    const capabilities = { experimental: { blob: 'x'.repeat(64 * 1024) } };
    const answer = await mcpPost(
      gateway.endpoint('fixture'),
      initializeBody(1, capabilities),
      auth,
    );
    assert.equal(answer.status, 400);
    assert.equal((answer.json as { error?: { code: number } }).error?.code, -32602);
  });

  it('still opens sessions for ordinary clients, whose ids stay small', async () => {
    const answer = await mcpPost(gateway.endpoint('fixture'), initializeBody(1), auth);
    assert.equal(answer.status, 200);
    const id = String(answer.headers['mcp-session-id']);
    assert.ok(id.length > 0 && id.length < 2048, `${id.length} characters`);
  });
});
