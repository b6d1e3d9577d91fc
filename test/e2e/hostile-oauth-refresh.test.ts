/**
 * Refresh-token requests an attacker or a buggy client could send: another
 * resource than the token's (RFC 8707 §2.2: `invalid_target`), and a refresh
 * for a member who has since lost the server (refused at once, RFC 6749 §5.2
 * `invalid_grant`). A refused request must leave the refresh token as it was:
 * with rotation, consuming it and then failing would turn the honest retry
 * into a reuse that revokes the whole grant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import {
  discoverAuthorizationServer,
  obtainTokens as obtainIssuedTokens,
  registerPublicClient,
} from '../support/oauth-client.ts';
import type { RawAuthorizationServer } from '../support/oauth-client.ts';
import { adminApi } from '../support/admin-api.ts';

const REDIRECT_URI = 'http://127.0.0.1:47321/callback';
const ADA = { email: 'ada@acme.test', password: 'ada has a long password' };
const CAROL = { email: 'carol@acme.test', password: 'carol has a long password' };
const DAN = { email: 'dan@acme.test', password: 'dan has a long password' };

type User = { email: string; password: string };

describe('hostile refresh-token requests', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let as: RawAuthorizationServer;
  let fixture: string;

  async function obtainTokens(user: User, resource: string) {
    const clientId = await registerPublicClient(as, REDIRECT_URI, 'hostile refresh');
    return obtainIssuedTokens(as, { clientId, redirectUri: REDIRECT_URI }, user, resource);
  }

  function refresh(tokens: { clientId: string; refresh: string }, resources: string[] = []) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh,
      client_id: tokens.clientId,
    });
    for (const resource of resources) form.append('resource', resource);
    return fetch(String(as.metadata.token_endpoint), { method: 'POST', body: form }).then(
      async (answer) => ({
        status: answer.status,
        body: (await answer.json()) as Record<string, unknown>,
      }),
    );
  }

  async function useToken(accessToken: string): Promise<number> {
    const answer = await mcpPost(fixture, initializeBody(), {
      authorization: `Bearer ${accessToken}`,
    });
    return answer.status;
  }

  const admin = (method: string, path: string, body?: unknown) =>
    adminApi(gateway.url, gateway.apiKey).call(method, path, body);
  const userId = (email: string): Promise<string> =>
    adminApi(gateway.url, gateway.apiKey).memberUserId('acme', email);

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: upstream.url },
        { id: 'second', url: upstream.url },
      ],
      users: [
        { ...ADA, role: 'member' },
        { ...CAROL, role: 'member' },
        { ...DAN, role: 'member' },
      ],
      otherWorkspaces: ['beta'],
    });
    as = await discoverAuthorizationServer(gateway.url);
    fixture = gateway.endpoint('fixture');
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses a refresh for another resource with invalid_target and leaves the refresh token usable', async () => {
    const tokens = await obtainTokens(ADA, fixture);
    const others: [string, string[]][] = [
      ['another server of the workspace', [gateway.endpoint('second')]],
      ['the same server in another workspace', [gateway.endpoint('fixture', 'beta')]],
      ['a trailing slash', [`${fixture}/`]],
      ['a foreign URL', ['https://attacker.example/acme/fixture/mcp']],
      ['two resources', [fixture, gateway.endpoint('second')]],
    ];
    for (const [label, resources] of others) {
      const refused = await refresh(tokens, resources);
      assert.equal(refused.status, 400, label);
      assert.equal(
        refused.body.error,
        'invalid_target',
        `${label}: ${JSON.stringify(refused.body)}`,
      );
      assert.equal(refused.body.access_token, undefined, label);
    }
    // The refresh token was not consumed: the honest retry is no reuse and revokes nothing.
    const honest = await refresh(tokens, [fixture]);
    assert.equal(honest.status, 200, JSON.stringify(honest.body));
    assert.equal(await useToken(String(honest.body.access_token)), 200);
    assert.equal(await useToken(tokens.access), 200);
  });

  it('refuses a refresh at once when the member is removed from the workspace', async () => {
    const tokens = await obtainTokens(CAROL, fixture);
    const carol = await userId(CAROL.email);
    await admin('DELETE', `/workspaces/acme/members/${carol}`);
    const refused = await refresh(tokens);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant', JSON.stringify(refused.body));
    assert.equal(refused.body.access_token, undefined);
    assert.equal((await refresh(tokens, [fixture])).body.error, 'invalid_grant');
    // Removal withdrew the workspace from her grant: the token itself is no longer valid.
    assert.equal(await useToken(tokens.access), 401);
  });

  it('refuses a refresh at once when the member is narrowed to other servers', async () => {
    const tokens = await obtainTokens(DAN, fixture);
    const dan = await userId(DAN.email);
    await admin('PUT', `/workspaces/acme/members/${dan}`, { role: 'member', servers: ['second'] });
    const refused = await refresh(tokens);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant', JSON.stringify(refused.body));
    // Access restored: the untouched refresh token works again.
    await admin('PUT', `/workspaces/acme/members/${dan}`, { role: 'member', servers: null });
    const restored = await refresh(tokens);
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(await useToken(String(restored.body.access_token)), 200);
  });
});
