/**
 * Removing a member withdraws the workspace from their OAuth grants, as
 * revoking an authorized app does: adding them back later must not bring
 * back tokens issued before the removal, and their apps must ask for consent
 * again. Narrowing a member's servers is different (hostile-oauth-refresh):
 * the grant stays and works again once access is restored.
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
import type { IssuedTokens, RawAuthorizationServer } from '../support/oauth-client.ts';
import { adminApi } from '../support/admin-api.ts';

// An https redirect URI reuses the remembered consent (interaction-policy.ts); loopback ones never do.
const REDIRECT_URI = 'https://app.acme.test/callback';
const EVE = { email: 'eve@acme.test', password: 'eve has a long password' };
const FAY = { email: 'fay@acme.test', password: 'fay has a long password' };

type User = { email: string; password: string };
type Tokens = IssuedTokens;

describe('member removal and OAuth grants', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let as: RawAuthorizationServer;

  const register = (): Promise<string> => registerPublicClient(as, REDIRECT_URI, 'member removal');
  const obtainTokens = (user: User, clientId: string, resource: string): Promise<Tokens> =>
    obtainIssuedTokens(as, { clientId, redirectUri: REDIRECT_URI }, user, resource);

  async function refresh(tokens: Tokens) {
    const answer = await fetch(String(as.metadata.token_endpoint), {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh,
        client_id: tokens.clientId,
      }),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  }

  async function useToken(endpoint: string, accessToken: string): Promise<number> {
    return (await mcpPost(endpoint, initializeBody(), { authorization: `Bearer ${accessToken}` }))
      .status;
  }

  const admin = (method: string, path: string, body?: unknown) =>
    adminApi(gateway.url, gateway.apiKey).call(method, path, body);
  const userId = (email: string): Promise<string> =>
    adminApi(gateway.url, gateway.apiKey).memberUserId('acme', email);

  async function apps(workspace: string, id: string) {
    const list = (await admin('GET', `/workspaces/${workspace}/authorized-apps`)) as {
      userId: string;
      resources: { resource: string }[];
    }[];
    return list.filter((app) => app.userId === id);
  }

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [
        { ...EVE, role: 'member' },
        { ...FAY, role: 'member' },
      ],
      otherWorkspaces: ['beta'],
    });
    as = await discoverAuthorizationServer(gateway.url);
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses tokens from before the removal once the member is added back, and asks consent again', async () => {
    const fixture = gateway.endpoint('fixture');
    const clientId = await register();
    const first = await obtainTokens(EVE, clientId, fixture);
    assert.deepEqual(first.forms, ['sign-in', 'consent']);
    // The consent is remembered: a second authorization of the same app asks only for the password.
    const remembered = await obtainTokens(EVE, clientId, fixture);
    assert.deepEqual(remembered.forms, ['sign-in']);

    const eve = await userId(EVE.email);
    await admin('DELETE', `/workspaces/acme/members/${eve}`);
    assert.deepEqual(await apps('acme', eve), []);
    await admin('PUT', `/workspaces/acme/members/${eve}`, { role: 'member', servers: null });

    for (const tokens of [first, remembered]) {
      const refused = await refresh(tokens);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error, 'invalid_grant', JSON.stringify(refused.body));
      assert.equal(refused.body.access_token, undefined);
      assert.equal(await useToken(fixture, tokens.access), 401);
    }
    const again = await obtainTokens(EVE, clientId, fixture);
    assert.deepEqual(again.forms, ['sign-in', 'consent']);
    assert.equal(await useToken(fixture, again.access), 200);
    assert.equal((await refresh(again)).status, 200);
  });

  it("keeps the grant's other workspaces when a member is removed from one", async () => {
    const acme = gateway.endpoint('fixture');
    const beta = gateway.endpoint('fixture', 'beta');
    const clientId = await register();
    const inAcme = await obtainTokens(FAY, clientId, acme);
    const inBeta = await obtainTokens(FAY, clientId, beta);
    const fay = await userId(FAY.email);
    await admin('DELETE', `/workspaces/acme/members/${fay}`);
    await admin('PUT', `/workspaces/acme/members/${fay}`, { role: 'member', servers: null });

    assert.equal((await refresh(inAcme)).body.error, 'invalid_grant');
    assert.equal(await useToken(acme, inAcme.access), 401);
    const kept = await refresh(inBeta);
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.equal(await useToken(beta, inBeta.access), 200);
    assert.equal(await useToken(beta, String(kept.body.access_token)), 200);
    // Added back, she has no app reaching acme until she consents again.
    assert.deepEqual(await apps('acme', fay), []);
  });
});
