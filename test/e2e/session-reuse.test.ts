/**
 * Claude re-initializes before nearly every tool call. The gateway answers
 * a repeated initialize from a live upstream session of the same principal
 * and capabilities instead of opening a new one, and never shares one across
 * principals or capability sets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

async function claudeIteration(
  gateway: TestGateway,
  capabilities: Record<string, unknown> = {},
): Promise<string> {
  const auth = { authorization: `Bearer ${gateway.apiKey}` };
  const init = await mcpPost(gateway.endpoint('fixture'), initializeBody(0, capabilities), auth);
  assert.equal(init.status, 200);
  const session = String(init.headers['mcp-session-id']);
  const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  const initialized = await mcpPost(
    gateway.endpoint('fixture'),
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers,
  );
  assert.equal(initialized.status, 202);
  const call = await mcpPost(
    gateway.endpoint('fixture'),
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'test_simple_text', arguments: {} },
    },
    headers,
  );
  assert.equal(call.status, 200);
  assert.deepEqual((call.json as { id: unknown }).id, 1);
  return session;
}

describe('upstream session reuse', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('serves ten initialize→initialized→tools/call iterations on one upstream session, each with its own downstream session', async () => {
    const before = upstream.legacySessionCount();
    const sessions = new Set<string>();
    for (let i = 0; i < 10; i++) sessions.add(await claudeIteration(gateway));
    assert.equal(sessions.size, 10, 'every initialize mints a fresh Mcp-Session-Id');
    assert.equal(upstream.legacySessionCount() - before, 1, 'one upstream session for all of them');
  });

  it('opens a separate upstream session for a client with other capabilities', async () => {
    const before = upstream.legacySessionCount();
    await claudeIteration(gateway, { elicitation: { form: {} } });
    await claudeIteration(gateway, { elicitation: { form: {} } });
    assert.equal(upstream.legacySessionCount() - before, 1);
  });

  it('keeps concurrent calls of many downstream sessions on a shared upstream session apart', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => claudeIteration(gateway)));
    assert.equal(new Set(results).size, 20);
  });
});
