/**
 * A client may declare a capability and never answer (claude.ai and
 * roots/list). A server→client request relayed by the gateway times out and
 * the upstream gets an error instead of waiting forever, so the call ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

describe('server→client requests a client never answers', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      env: { PORTCULLIS_CLIENT_REQUEST_TIMEOUT_MS: '300' },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('fails the elicitation upstream after the timeout, and the call still ends with an answer', async () => {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const init = await mcpPost(
      gateway.endpoint('fixture'),
      initializeBody(1, { elicitation: { form: {} } }),
      auth,
    );
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    await mcpPost(
      gateway.endpoint('fixture'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );

    const started = performance.now();
    const call = await mcpPost(
      gateway.endpoint('fixture'),
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'test_elicitation', arguments: { message: 'anyone?' } },
      },
      headers,
    );
    const elapsed = performance.now() - started;

    const [request, ...rest] = call.messages as Array<{
      id?: unknown;
      method?: string;
      error?: { message: string };
      result?: unknown;
    }>;
    assert.equal(request?.method, 'elicitation/create', 'the client was asked');
    assert.match(String(request?.id), /^pc-s2c\./, 'in the gateway id namespace');
    const final = rest.at(-1)!;
    assert.equal(final.id, 7, 'the call was answered');
    assert.ok(final.error !== undefined || final.result !== undefined);
    assert.ok(
      elapsed >= 250 && elapsed < 5000,
      `ended after the timeout (${Math.round(elapsed)} ms)`,
    );

    // A late answer is accepted and dropped: the upstream already got its error.
    const late = await mcpPost(
      gateway.endpoint('fixture'),
      { jsonrpc: '2.0', id: request.id, result: { action: 'decline' } },
      headers,
    );
    assert.equal(late.status, 202);
  });
});
