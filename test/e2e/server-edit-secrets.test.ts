/**
 * Editing a server through the admin API keeps its stored secrets: after a
 * PUT that changed only the timeout and sent `{ stored: true }` for the
 * header value, the upstream receives the value first given, through the MCP
 * endpoint (the gateway's upstream is built from the edited definition, which
 * no call used before); moving the server to another origin with the stored value
 * is refused and changes nothing.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { startHeaderGate } from '../support/header-gate.ts';
import type { HeaderGate } from '../support/header-gate.ts';

const TOKEN = `Bearer kept-${crypto.randomBytes(12).toString('hex')}`;

describe('editing a server keeps its stored secrets', () => {
  let fixture: RunningFixtureServer;
  let gate: HeaderGate;
  let gateway: TestGateway;
  const api = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers${path}`, {
      method,
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const callTool = async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.endpoint('guarded')), {
        requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
      }),
    );
    try {
      return await client.callTool({ name: 'test_simple_text', arguments: {} });
    } finally {
      await client.close();
    }
  };

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    gate = await startHeaderGate(fixture.url, 'authorization', TOKEN);
    gateway = await startTestGateway({ servers: [] });
    const created = await api('POST', '', {
      id: 'guarded',
      transport: 'http',
      url: gate.url,
      upstream_auth: { mode: 'headers', headers: { Authorization: { value: TOKEN } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
  });
  after(async () => {
    await gateway?.close();
    await gate?.close();
    await fixture?.close();
  });

  it('still sends the stored header value upstream after an edit that changed only the timeout', async () => {
    // No call before the edit: the gateway builds its upstream from the edited, stored definition.
    const edited = await api('PUT', '/guarded', {
      id: 'guarded',
      transport: 'http',
      url: gate.url,
      timeout_ms: 9000,
      upstream_auth: { mode: 'headers', headers: { Authorization: { stored: true } } },
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.json));
    assert.equal(edited.json.timeout_ms, 9000);
    assert.doesNotMatch(JSON.stringify(edited.json), /kept-/);

    const from = gate.seen.length;
    const result = await callTool();
    assert.deepEqual(result.content, [
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    const seen = gate.seen.slice(from);
    assert.ok(seen.length >= 1, 'the call reached the upstream');
    for (const headers of seen) assert.equal(headers.authorization, TOKEN);
  });

  it('refuses to carry the stored value to another origin, and the server keeps working', async () => {
    const moved = await api('PUT', '/guarded', {
      id: 'guarded',
      transport: 'http',
      url: gate.url.replace('127.0.0.1', 'localhost'),
      upstream_auth: { mode: 'headers', headers: { Authorization: { stored: true } } },
    });
    assert.equal(moved.status, 400);
    assert.match(
      String(moved.json.message),
      /body\.upstream_auth\.headers\.Authorization: .*does not follow/,
    );
    const shown = await api('GET', '/guarded');
    assert.equal(shown.json.url, gate.url);
    assert.equal(shown.json.timeout_ms, 9000);
    assert.equal((await callTool()).isError, undefined);
  });
});
