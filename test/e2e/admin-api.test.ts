/**
 * The admin API on a whole gateway: what it changes takes effect at the MCP
 * endpoints at once (API keys created and revoked, server access changed,
 * servers registered and removed), and a viewer cannot change anything.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { generateApiKey } from '../../src/admin/api-keys-routes.ts';
import { apiKeyPrefix, hashApiKey } from '../../src/shared/api-key-hash.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import { connectClient } from '../support/sdk-client.ts';

describe('admin API on a running gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  async function api(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const response = await request(`${gateway.url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text === '' ? null : JSON.parse(text) };
  }

  async function mcpStatus(serverId: string, key: string): Promise<number> {
    const answer = await mcpPost(gateway.endpoint(serverId), initializeBody(), {
      authorization: `Bearer ${key}`,
    });
    return answer.status;
  }

  /** Gives a user a key the way `portcullis apply` would, then reloads the gateway. */
  async function insertKey(email: string): Promise<string> {
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
    });
    try {
      const user = (await store.users.findByEmail(email))!;
      const key = generateApiKey();
      await store.apiKeys.upsert({
        name: `${email}-key`,
        userId: user.id,
        workspaceId: 'acme',
        keyHash: hashApiKey(key),
        prefix: apiKeyPrefix(key),
      });
      await gateway.gateway.reload();
      return key;
    } finally {
      await store.close();
    }
  }

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'alpha', url: upstream.url },
        { id: 'beta', url: upstream.url },
      ],
      users: [
        { email: 'viewer@acme.test', role: 'viewer' },
        { email: 'member@acme.test', role: 'member' },
      ],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses a viewer calling an admin endpoint with 403 and changes nothing', async () => {
    const viewerKey = await insertKey('viewer@acme.test');
    const before = await api('GET', '/workspaces/acme/members', viewerKey);
    assert.equal(before.status, 200);
    const viewer = (before.json as { userId: string; email: string }[]).find(
      (member) => member.email === 'viewer@acme.test',
    )!;
    const promote = await api('PUT', `/workspaces/acme/members/${viewer.userId}`, viewerKey, {
      role: 'owner',
      servers: null,
    });
    assert.equal(promote.status, 403);
    assert.equal((promote.json as { error: string }).error, 'forbidden');
    const invite = await api('POST', '/workspaces/acme/invitations', viewerKey, {
      email: 'friend@acme.test',
      role: 'admin',
    });
    assert.equal(invite.status, 403);
    assert.deepEqual((await api('GET', '/workspaces/acme/members', viewerKey)).json, before.json);
  });

  it('issues an API key that works at the MCP endpoint at once, and is refused once revoked', async () => {
    const created = await api('POST', '/workspaces/acme/api-keys', gateway.apiKey, {
      name: 'e2e',
      servers: ['alpha'],
    });
    assert.equal(created.status, 201);
    const { key, id } = created.json as { key: string; id: string };
    assert.equal(await mcpStatus('alpha', key), 200);
    assert.equal(await mcpStatus('beta', key), 403);

    const revoked = await api('DELETE', `/workspaces/acme/api-keys/${id}`, gateway.apiKey);
    assert.equal(revoked.status, 204);
    assert.equal(await mcpStatus('alpha', key), 401);
  });

  it('refuses a member at a server once their access no longer includes it', async () => {
    const memberKey = await insertKey('member@acme.test');
    assert.equal(await mcpStatus('beta', memberKey), 200);
    const members = (await api('GET', '/workspaces/acme/members', gateway.apiKey)).json as {
      userId: string;
      email: string;
    }[];
    const member = members.find((entry) => entry.email === 'member@acme.test')!;
    const changed = await api('PUT', `/workspaces/acme/members/${member.userId}`, gateway.apiKey, {
      role: 'member',
      servers: ['alpha'],
    });
    assert.equal(changed.status, 200);
    assert.equal(await mcpStatus('beta', memberKey), 403);
    assert.equal(await mcpStatus('alpha', memberKey), 200);
  });

  it('serves a server registered through the API at once, and answers 404 once it is removed', async () => {
    assert.equal(await mcpStatus('gamma', gateway.apiKey), 404);
    const created = await api('POST', '/workspaces/acme/servers', gateway.apiKey, {
      id: 'gamma',
      transport: 'http',
      url: upstream.url,
    });
    assert.equal(created.status, 201);
    assert.equal((created.json as { endpoint: string }).endpoint, gateway.endpoint('gamma'));
    const client = await connectClient(gateway, 'gamma');
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'test_simple_text'));
    } finally {
      await client.close();
    }

    const removed = await api('DELETE', '/workspaces/acme/servers/gamma', gateway.apiKey);
    assert.equal(removed.status, 204);
    assert.equal(await mcpStatus('gamma', gateway.apiKey), 404);
  });
});
