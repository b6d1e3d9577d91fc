/**
 * The MCP SDK v2 client authorizing itself against the gateway with no
 * credentials given in advance, in both protocol eras: 401 → protected
 * resource metadata → authorization server metadata → client identity (a
 * client ID metadata document, or dynamic registration) → authorization with
 * PKCE, resource and state → sign-in and consent through the real forms →
 * token → tools listed and called through the gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import {
  connectWithOAuth,
  createTestOAuthProvider,
  hostClientMetadataDocument,
  jarBrowser,
} from '../support/oauth-client.ts';
import type { EraMode, HostedClientMetadata, TestOAuthProvider } from '../support/oauth-client.ts';
import { resultText } from '../support/sdk-client.ts';

const USER = { email: 'grace@acme.test', password: 'a long enough test password' };
const REDIRECT_URL = 'http://127.0.0.1:47123/callback';

const ERAS: [string, EraMode][] = [
  ['2025-11-25 (legacy sessions)', 'legacy'],
  ['2026-07-28 (stateless)', { pin: '2026-07-28' }],
];

/** What the authorization URL the SDK built must carry (MCP authorization §2.5). */
function assertAuthorizationRequest(url: URL, endpoint: string, clientId: string) {
  const query = url.searchParams;
  assert.equal(query.get('response_type'), 'code');
  assert.equal(query.get('client_id'), clientId);
  assert.equal(query.get('redirect_uri'), REDIRECT_URL);
  assert.equal(query.get('code_challenge_method'), 'S256');
  assert.match(query.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(query.get('resource'), endpoint);
  assert.ok((query.get('state') ?? '').length >= 16, 'a random state');
  assert.deepEqual(query.get('scope')?.split(' ').sort(), ['mcp', 'offline_access']);
}

async function useTools(endpoint: string, provider: TestOAuthProvider, mode: EraMode) {
  const { client, attempts } = await connectWithOAuth(endpoint, provider, mode);
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'test_simple_text'));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert.match(resultText(result), /simple text response/);
  } finally {
    await client.close();
  }
  return attempts;
}

describe('the SDK v2 client authorizes itself through the gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let metadataDocument: HostedClientMetadata;

  before(async () => {
    metadataDocument = await hostClientMetadataDocument((clientId) => ({
      client_id: clientId,
      client_name: 'E2E metadata-document client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }));
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [{ ...USER, role: 'member' }],
      env: { PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE: '127.0.0.0/8' },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    await metadataDocument?.close();
  });

  for (const [label, mode] of ERAS) {
    describe(label, () => {
      it('uses a client ID metadata document when the authorization server supports it', async () => {
        const endpoint = gateway.endpoint('fixture');
        const provider = createTestOAuthProvider({
          redirectUrl: REDIRECT_URL,
          clientMetadataUrl: metadataDocument.url,
          browser: jarBrowser(createCookieJar(), USER),
        });

        assert.equal(await useTools(endpoint, provider, mode), 2, 'one 401, then authorized');

        assert.equal(provider.registered()?.client_id, metadataDocument.url);
        assert.ok(metadataDocument.fetches() > 0, 'the gateway read the document');
        const [authorizationUrl] = provider.authorizationUrls;
        assert.ok(authorizationUrl);
        assertAuthorizationRequest(authorizationUrl, endpoint, metadataDocument.url);
        const claims = decodeJwt(provider.storedTokens()!.access_token);
        assert.equal(claims.aud, endpoint);
        assert.equal(claims.iss, gateway.url);
        assert.equal(claims.client_id, metadataDocument.url);
        assert.match(String(claims.scope), /\bmcp\b/);
      });

      it('registers dynamically when it has no metadata document', async () => {
        const endpoint = gateway.endpoint('fixture');
        const provider = createTestOAuthProvider({
          redirectUrl: REDIRECT_URL,
          browser: jarBrowser(createCookieJar(), USER),
        });

        assert.equal(await useTools(endpoint, provider, mode), 2);

        const clientId = provider.registered()?.client_id;
        assert.ok(clientId !== undefined && !clientId.startsWith('https://'), 'a DCR client id');
        assertAuthorizationRequest(provider.authorizationUrls[0]!, endpoint, clientId);
        const tokens = provider.storedTokens()!;
        assert.equal(decodeJwt(tokens.access_token).aud, endpoint);
        assert.equal(typeof tokens.refresh_token, 'string');
        // The next connection reuses the stored token: no new authorization.
        assert.equal(await useTools(endpoint, provider, mode), 1);
        assert.equal(provider.authorizationUrls.length, 1);
      });
    });
  }

  it('refreshes an access token the gateway refuses, without a new authorization', async () => {
    const endpoint = gateway.endpoint('fixture');
    const provider = createTestOAuthProvider({
      redirectUrl: REDIRECT_URL,
      browser: jarBrowser(createCookieJar(), USER),
    });
    await useTools(endpoint, provider, 'legacy');
    const first = provider.storedTokens()!;
    // A token the gateway cannot verify stands in for an expired one: the transport meets
    // the 401, refreshes and retries the same request, so the first connection succeeds.
    await provider.saveTokens({ ...first, access_token: `${first.access_token.slice(0, -4)}AAAA` });
    assert.equal(await useTools(endpoint, provider, 'legacy'), 1);
    const refreshed = provider.storedTokens()!;
    assert.notEqual(refreshed.access_token, first.access_token);
    assert.notEqual(refreshed.refresh_token, first.refresh_token, 'rotated');
    assert.equal(provider.authorizationUrls.length, 1, 'no second trip through the browser');
  });
});
