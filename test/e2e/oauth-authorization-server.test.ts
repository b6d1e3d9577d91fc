/**
 * The authorization server end to end over HTTP: discovery, registration,
 * authorization code + PKCE with a resource, tokens, refresh rotation and
 * the replay rules. Sign-in and consent go through stand-in interaction
 * routes that call the Interactions contract the sign-in pages use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  authorizeUrl,
  OAuthBrowser,
  pkcePair,
  runAuthorization,
} from '../support/oauth-as-browser.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import { signInAndConsent } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import { hostClientMetadataDocument } from '../support/oauth-client.ts';
import { startOAuthTestServer } from '../support/oauth-test-server.ts';
import type { OAuthTestServer } from '../support/oauth-test-server.ts';

let server: OAuthTestServer;
let resource: string;
let otherResource: string;

before(async () => {
  server = await startOAuthTestServer({
    resources: [
      ['acme', 'echo'],
      ['acme', 'other'],
    ],
  });
  resource = `${server.url}/acme/echo/mcp`;
  otherResource = `${server.url}/acme/other/mcp`;
});
after(async () => server.close());

async function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

async function postForm(
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
  };
}

interface Registered {
  client_id: string;
  client_secret?: string;
  [key: string]: unknown;
}

async function register(metadata: Record<string, unknown>): Promise<Registered> {
  const { status, json } = await postJson('/register', metadata);
  assert.equal(status, 201, JSON.stringify(json));
  return json as Registered;
}

const LOOPBACK = 'http://127.0.0.1:4567/callback';

async function publicClient(name = `public-${Math.random()}`): Promise<Registered> {
  return register({
    client_name: name,
    redirect_uris: [LOOPBACK],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  });
}

/** Authorizes and returns the code (and the redirect it came back on). */
async function authorize(
  clientId: string,
  options: { redirectUri?: string; resource?: string; scope?: string } = {},
) {
  const pkce = pkcePair();
  const state = 'state-123';
  const redirectUri = options.redirectUri ?? LOOPBACK;
  const browser = new OAuthBrowser(server.url);
  const callback = await runAuthorization(
    browser,
    authorizeUrl(server.url, {
      clientId,
      redirectUri,
      resource: options.resource ?? resource,
      challenge: pkce.challenge,
      state,
      scope: options.scope,
    }),
  );
  return { callback, verifier: pkce.verifier, redirectUri, browser };
}

async function exchange(
  clientId: string,
  code: string,
  verifier: string,
  redirectUri = LOOPBACK,
  extra: Record<string, string> = {},
) {
  return postForm('/token', {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    resource,
    ...extra,
  });
}

describe('discovery', () => {
  for (const path of [
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
  ]) {
    it(`serves ${path} with the issuer byte-exact and the MCP fields`, async () => {
      const response = await fetch(`${server.url}${path}`, {
        headers: { origin: 'https://web.example' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://web.example');
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, server.url);
      assert.equal(metadata.authorization_endpoint, `${server.url}/authorize`);
      assert.equal(metadata.token_endpoint, `${server.url}/token`);
      assert.equal(metadata.registration_endpoint, `${server.url}/register`);
      assert.equal(metadata.revocation_endpoint, `${server.url}/revoke`);
      assert.equal(metadata.jwks_uri, `${server.url}/jwks`);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual([...(metadata.token_endpoint_auth_methods_supported as string[])].sort(), [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]);
      assert.deepEqual([...(metadata.grant_types_supported as string[])].sort(), [
        'authorization_code',
        'refresh_token',
      ]);
      assert.equal(metadata.client_id_metadata_document_supported, true);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      // openid stays: oidc-provider always defines it (the scope of `sub`); see the README.
      assert.deepEqual([...(metadata.scopes_supported as string[])].sort(), [
        'mcp',
        'offline_access',
        'openid',
      ]);
      assert.equal(metadata.userinfo_endpoint, undefined);
      assert.equal(metadata.end_session_endpoint, undefined);
      assert.equal(metadata.introspection_endpoint, undefined);
    });
  }

  for (const path of [
    '/.well-known/oauth-authorization-server',
    '/token',
    '/register',
    '/revoke',
    '/jwks',
  ]) {
    it(`answers a CORS preflight at ${path} for any origin`, async () => {
      const response = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://web.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://web.example');
    });
  }
});

describe('dynamic client registration', () => {
  it('refuses a javascript: redirect URI with invalid_redirect_uri', async () => {
    const { status, json } = await postJson('/register', {
      client_name: 'Evil',
      redirect_uris: ['https://ok.example/cb', 'javascript:alert(1)'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(status, 400);
    assert.equal(json.error, 'invalid_redirect_uri');
  });

  for (const [label, uri] of [
    ['non-loopback http', 'http://evil.example/cb'],
    ['a fragment', 'https://ok.example/cb#x'],
    ['an unknown custom scheme', 'evil://cb'],
  ] as const) {
    it(`refuses ${label} with invalid_redirect_uri`, async () => {
      const { status, json } = await postJson('/register', {
        client_name: 'Bad',
        redirect_uris: [uri],
        token_endpoint_auth_method: 'none',
      });
      assert.equal(status, 400);
      assert.equal(json.error, 'invalid_redirect_uri');
    });
  }

  it('refuses a body that is not a JSON object', async () => {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[1,2',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
  });

  it("registers Cursor's three-URI request and omits absent fields instead of null", async () => {
    const client = await register({
      client_name: 'Cursor',
      redirect_uris: [
        'cursor://anysphere.cursor-mcp/oauth/callback',
        'https://www.cursor.com/agents/mcp/oauth/callback',
        'http://localhost:8787/callback',
      ],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    assert.equal(typeof client.client_id, 'string');
    assert.equal(typeof client.client_id_issued_at, 'number');
    assert.equal(client.client_secret, undefined);
    for (const [key, value] of Object.entries(client))
      assert.notEqual(value, null, `${key} is null`);
    assert.equal('logo_uri' in client, false);
    assert.equal('client_uri' in client, false);
  });

  it('answers an identical public registration with the same client', async () => {
    const metadata = {
      client_name: 'Dedupe',
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
    };
    const first = await register(metadata);
    const second = await register(metadata);
    assert.equal(second.client_id, first.client_id);
  });

  it('issues a new client and secret for each confidential registration', async () => {
    const metadata = {
      client_name: 'Confidential twin',
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'client_secret_post',
    };
    const first = await register(metadata);
    const second = await register(metadata);
    assert.notEqual(second.client_id, first.client_id);
    assert.equal(typeof first.client_secret, 'string');
  });

  it('rate-limits a flood from one address and name with 429, a JSON error and Retry-After', async () => {
    let refused: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 15 && refused === undefined; i += 1) {
      const result = await postJson('/register', {
        client_name: 'Flood',
        redirect_uris: [`https://flood.example/cb${i}`],
        token_endpoint_auth_method: 'client_secret_post',
      });
      if (result.status === 429) refused = result;
    }
    assert.ok(refused !== undefined, 'no registration was refused');
    assert.equal(refused.json.error, 'temporarily_unavailable');
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    // Another client name from the same address still registers.
    await publicClient('Not the flood');
  });
});

describe('authorization code flow', () => {
  it('issues a code with iss and state, and an RFC 9068 access token for the exact resource', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    assert.equal(`${callback.origin}${callback.pathname}`, LOOPBACK);
    assert.equal(callback.searchParams.get('iss'), server.url);
    assert.equal(callback.searchParams.get('state'), 'state-123');
    const code = callback.searchParams.get('code')!;
    const { status, json } = await exchange(client.client_id, code, verifier);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.token_type, 'Bearer');
    assert.equal(typeof json.refresh_token, 'string');
    // The access token's scope is the resource's; offline_access lives on the grant and refresh token.
    assert.equal(json.scope, 'mcp');

    const token = String(json.access_token);
    const header = decodeProtectedHeader(token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(typeof header.kid, 'string');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    const { payload } = await jwtVerify(token, jwks, { issuer: server.url, audience: resource });
    assert.equal(payload.aud, resource);
    assert.equal(payload.sub, server.userId);
    assert.equal(payload.client_id, client.client_id);
    assert.match(String(payload.scope), /\bmcp\b/);
    assert.equal(typeof payload.gid, 'string');
    assert.equal(typeof payload.jti, 'string');
    assert.ok(typeof payload.exp === 'number' && typeof payload.iat === 'number');
    assert.deepEqual(
      server.as.verificationKeys().map((key) => key.kid),
      [header.kid],
    );
  });

  it('issues a refresh token for offline_access without prompt=consent, and none without it', async () => {
    const client = await publicClient();
    const withOffline = await authorize(client.client_id, { scope: 'mcp offline_access' });
    const granted = await exchange(
      client.client_id,
      withOffline.callback.searchParams.get('code')!,
      withOffline.verifier,
    );
    assert.equal(typeof granted.json.refresh_token, 'string');
    const other = await publicClient();
    const without = await authorize(other.client_id, { scope: 'mcp' });
    const plain = await exchange(
      other.client_id,
      without.callback.searchParams.get('code')!,
      without.verifier,
    );
    assert.equal(plain.status, 200);
    assert.equal(plain.json.refresh_token, undefined);
  });

  it('grants mcp when the client sends no scope at all', async () => {
    const client = await publicClient();
    const pkce = pkcePair();
    const url = new URL(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: LOOPBACK,
        resource,
        challenge: pkce.challenge,
      }),
    );
    url.searchParams.delete('scope');
    const callback = await runAuthorization(new OAuthBrowser(server.url), url.href);
    const token = await exchange(
      client.client_id,
      callback.searchParams.get('code')!,
      pkce.verifier,
    );
    assert.equal(token.status, 200, JSON.stringify(token.json));
    assert.equal(token.json.scope, 'mcp');
    assert.equal(token.json.refresh_token, undefined);
  });

  it('rotates the refresh token, and reuse of the old one fails and revokes the grant', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const first = await exchange(client.client_id, callback.searchParams.get('code')!, verifier);
    const refresh1 = String(first.json.refresh_token);
    const gid = JSON.parse(
      Buffer.from(String(first.json.access_token).split('.')[1]!, 'base64url').toString(),
    ).gid as string;

    const second = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: refresh1,
      resource,
    });
    assert.equal(second.status, 200, JSON.stringify(second.json));
    const refresh2 = String(second.json.refresh_token);
    assert.notEqual(refresh2, refresh1);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    const { payload } = await jwtVerify(String(second.json.access_token), jwks, {
      audience: resource,
    });
    assert.equal(payload.gid, gid);

    const reuse = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: refresh1,
    });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json.error, 'invalid_grant');
    const afterReuse = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: refresh2,
    });
    assert.equal(afterReuse.json.error, 'invalid_grant', 'the rotated token died with its grant');
    assert.ok(server.revokedGrants.includes(gid));
  });

  it('refuses a replayed code and revokes the tokens issued from it', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const code = callback.searchParams.get('code')!;
    const first = await exchange(client.client_id, code, verifier);
    assert.equal(first.status, 200);
    const replay = await exchange(client.client_id, code, verifier);
    assert.equal(replay.status, 400);
    assert.equal(replay.json.error, 'invalid_grant');
    const refresh = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: String(first.json.refresh_token),
    });
    assert.equal(refresh.json.error, 'invalid_grant');
    const gid = JSON.parse(
      Buffer.from(String(first.json.access_token).split('.')[1]!, 'base64url').toString(),
    ).gid as string;
    assert.ok(server.revokedGrants.includes(gid));
  });

  it('refuses a missing, plain or wrong PKCE verifier', async () => {
    const client = await publicClient();
    const { callback } = await authorize(client.client_id);
    const code = callback.searchParams.get('code')!;
    const missing = await postForm('/token', {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code,
      redirect_uri: LOOPBACK,
      resource,
    });
    assert.equal(missing.json.error, 'invalid_grant');
    const again = await authorize(client.client_id);
    const wrong = await exchange(
      client.client_id,
      again.callback.searchParams.get('code')!,
      'x'.repeat(43),
    );
    assert.equal(wrong.json.error, 'invalid_grant');

    const plain = await new OAuthBrowser(server.url).request(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: LOOPBACK,
        resource,
        challenge: 'y'.repeat(43),
        challengeMethod: 'plain',
      }),
    );
    const location = new URL(plain.location!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('iss'), server.url);
  });

  it('refuses an authorization without PKCE', async () => {
    const client = await publicClient();
    const url = new URL(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: LOOPBACK,
        resource,
        challenge: 'z',
      }),
    );
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const hop = await new OAuthBrowser(server.url).request(url.href);
    const location = new URL(hop.location!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('refuses an unregistered redirect URI without redirecting to it', async () => {
    const client = await publicClient();
    const hop = await new OAuthBrowser(server.url).request(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: 'https://attacker.example/cb',
        resource,
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(hop.status, 400);
    assert.equal(hop.location, undefined);
    assert.equal((JSON.parse(hop.body) as { error: string }).error, 'invalid_redirect_uri');
    assert.doesNotMatch(hop.headers.get('content-type') ?? '', /html/);
  });

  it('matches loopback redirect URIs on any port (RFC 8252 §7.3)', async () => {
    const client = await publicClient();
    const otherPort = 'http://127.0.0.1:9999/callback';
    const { callback, verifier } = await authorize(client.client_id, { redirectUri: otherPort });
    assert.equal(`${callback.origin}${callback.pathname}`, otherPort);
    const token = await exchange(
      client.client_id,
      callback.searchParams.get('code')!,
      verifier,
      otherPort,
    );
    assert.equal(token.status, 200);
    const mismatch = await exchange(client.client_id, 'whatever', verifier, LOOPBACK);
    assert.equal(mismatch.json.error, 'invalid_grant');
  });

  it('refuses a code redeemed with another redirect URI than it was issued for', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const token = await exchange(
      client.client_id,
      callback.searchParams.get('code')!,
      verifier,
      'http://127.0.0.1:1111/callback',
    );
    assert.equal(token.json.error, 'invalid_grant');
  });

  it('refuses a resource of an unknown server, a foreign URL or none with invalid_target', async () => {
    const client = await publicClient();
    for (const target of [
      `${server.url}/acme/nope/mcp`,
      'https://elsewhere.example/acme/echo/mcp',
      `${resource}/`,
      undefined,
    ]) {
      const url = new URL(
        authorizeUrl(server.url, {
          clientId: client.client_id,
          redirectUri: LOOPBACK,
          challenge: pkcePair().challenge,
          ...(target === undefined ? {} : { resource: target }),
        }),
      );
      const hop = await new OAuthBrowser(server.url).request(url.href);
      const location = new URL(hop.location!);
      assert.equal(location.searchParams.get('error'), 'invalid_target', String(target));
      assert.equal(location.searchParams.get('iss'), server.url);
    }
  });

  it('refuses to mint a token for another server than the one authorized', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const token = await exchange(
      client.client_id,
      callback.searchParams.get('code')!,
      verifier,
      LOOPBACK,
      {
        resource: otherResource,
      },
    );
    assert.equal(token.json.error, 'invalid_target');
  });

  it('refuses a wrong resource at /token without consuming the code or revoking the grant', async () => {
    const client = await publicClient();
    const earlier = await authorize(client.client_id);
    const tokens = await exchange(
      client.client_id,
      earlier.callback.searchParams.get('code')!,
      earlier.verifier,
    );
    assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
    const { callback, verifier } = await authorize(client.client_id);
    const code = callback.searchParams.get('code')!;
    for (const wrong of [otherResource, `${server.url}/acme/unknown/mcp`]) {
      const refused = await exchange(client.client_id, code, verifier, LOOPBACK, {
        resource: wrong,
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.json.error, 'invalid_target', JSON.stringify(refused.json));
    }
    const retried = await exchange(client.client_id, code, verifier);
    assert.equal(retried.status, 200, JSON.stringify(retried.json));
    const refreshed = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: String(tokens.json.refresh_token),
    });
    assert.equal(refreshed.status, 200, 'the earlier tokens of the grant stay valid');
    const gid = JSON.parse(
      Buffer.from(String(tokens.json.access_token).split('.')[1]!, 'base64url').toString(),
    ).gid as string;
    assert.ok(!server.revokedGrants.includes(gid));
  });

  it('ends a denied authorization with access_denied and iss at the client', async () => {
    const client = await publicClient();
    const browser = new OAuthBrowser(server.url);
    let hop = await browser.request(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: LOOPBACK,
        resource,
        challenge: pkcePair().challenge,
      }),
    );
    const uid = hop.location!.split('/').pop()!;
    hop = await browser.request(`/interaction/${uid}/deny`, { method: 'POST' });
    hop = await browser.request(hop.location!);
    const location = new URL(hop.location!);
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('iss'), server.url);
  });

  it('answers an unknown interaction as not found', async () => {
    const hop = await new OAuthBrowser(server.url).request('/interaction/nope');
    assert.equal(hop.status, 404);
  });
});

describe('client authentication at the token endpoint', () => {
  for (const method of ['client_secret_basic', 'client_secret_post', 'none'] as const) {
    it(`accepts a client registered with ${method} and refuses other methods for it`, async () => {
      const client = await register({
        client_name: `auth-${method}`,
        redirect_uris: [LOOPBACK],
        token_endpoint_auth_method: method,
        grant_types: ['authorization_code', 'refresh_token'],
      });
      const { callback, verifier } = await authorize(client.client_id);
      const code = callback.searchParams.get('code')!;
      const base = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: LOOPBACK,
        resource,
      };
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`).toString('base64')}`;
      if (method !== 'none') {
        // The registered method only: a public-style request is refused.
        const wrong = await postForm('/token', { ...base, client_id: client.client_id });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.json.error, 'invalid_client');
      }
      const result =
        method === 'client_secret_basic'
          ? await postForm('/token', base, { authorization: basic })
          : method === 'client_secret_post'
            ? await postForm('/token', {
                ...base,
                client_id: client.client_id,
                client_secret: client.client_secret!,
              })
            : await postForm('/token', { ...base, client_id: client.client_id });
      assert.equal(result.status, 200, JSON.stringify(result.json));
    });
  }

  it('answers an unknown client with 401 invalid_client so the client registers again', async () => {
    const result = await postForm('/token', {
      grant_type: 'authorization_code',
      client_id: 'deleted-client',
      code: 'x',
      code_verifier: 'y'.repeat(43),
      redirect_uri: LOOPBACK,
    });
    assert.equal(result.status, 401);
    assert.equal(result.json.error, 'invalid_client');
  });
});

describe('client ID metadata documents', () => {
  it("authorizes Claude by its pre-seeded document, redirecting to Claude's callback", async () => {
    const clientId = 'https://claude.ai/oauth/mcp-oauth-client-metadata';
    const redirectUri = 'https://claude.ai/api/mcp/auth_callback';
    const { callback, verifier } = await authorize(clientId, { redirectUri });
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
    assert.equal(callback.searchParams.get('iss'), server.url);
    const token = await exchange(
      clientId,
      callback.searchParams.get('code')!,
      verifier,
      redirectUri,
    );
    assert.equal(token.status, 200, JSON.stringify(token.json));
    assert.equal(typeof token.json.refresh_token, 'string');
  });

  it('authorizes Claude Code on whatever loopback port it listens', async () => {
    const clientId = 'https://claude.ai/oauth/claude-code-client-metadata';
    const redirectUri = 'http://localhost:53118/callback';
    const { callback, verifier } = await authorize(clientId, { redirectUri });
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
    const token = await exchange(
      clientId,
      callback.searchParams.get('code')!,
      verifier,
      redirectUri,
    );
    assert.equal(token.status, 200, JSON.stringify(token.json));
  });

  it('refuses a document on a private address without fetching into the network behind', async () => {
    const hop = await new OAuthBrowser(server.url).request(
      authorizeUrl(server.url, {
        clientId: 'https://127.0.0.1:1/client.json',
        redirectUri: 'https://app.example/cb',
        resource,
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(hop.status, 400);
    assert.equal(hop.location, undefined);
    assert.equal((JSON.parse(hop.body) as { error: string }).error, 'invalid_client');
  });
});

describe('revocation', () => {
  it('revoking a refresh token revokes its grant', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const tokens = await exchange(client.client_id, callback.searchParams.get('code')!, verifier);
    const revoked = await postForm('/revoke', {
      token: String(tokens.json.refresh_token),
      client_id: client.client_id,
    });
    assert.equal(revoked.status, 200);
    const refresh = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: String(tokens.json.refresh_token),
    });
    assert.equal(refresh.json.error, 'invalid_grant');
  });

  it('revoking a JWT access token revokes its grant and tells the resource server', async () => {
    const client = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const tokens = await exchange(client.client_id, callback.searchParams.get('code')!, verifier);
    const accessToken = String(tokens.json.access_token);
    const gid = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString())
      .gid as string;
    const revoked = await postForm('/revoke', { token: accessToken, client_id: client.client_id });
    assert.equal(revoked.status, 200);
    for (let i = 0; i < 50 && !server.revokedGrants.includes(gid); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(server.revokedGrants.includes(gid));
    const refresh = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: String(tokens.json.refresh_token),
    });
    assert.equal(refresh.json.error, 'invalid_grant');
  });

  it('refuses to revoke an access token without valid client authentication', async () => {
    const client = await register({
      client_name: 'Confidential revoker',
      redirect_uris: [LOOPBACK],
      token_endpoint_auth_method: 'client_secret_post',
    });
    const { callback, verifier } = await authorize(client.client_id);
    const tokens = await exchange(
      client.client_id,
      callback.searchParams.get('code')!,
      verifier,
      LOOPBACK,
      {
        client_secret: client.client_secret!,
      },
    );
    assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
    const token = String(tokens.json.access_token);
    const attempts: Array<Record<string, string>> = [
      { token, client_id: client.client_id },
      { token, client_id: client.client_id, client_secret: 'wrong' },
      { token },
    ];
    for (const form of attempts) {
      const refused = await postForm('/revoke', form);
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error, 'invalid_client');
    }
    const refresh = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      client_secret: client.client_secret!,
      refresh_token: String(tokens.json.refresh_token),
    });
    assert.equal(refresh.status, 200);
  });

  it('does not revoke a grant when another client submits the access token', async () => {
    const client = await publicClient();
    const intruder = await publicClient();
    const { callback, verifier } = await authorize(client.client_id);
    const tokens = await exchange(client.client_id, callback.searchParams.get('code')!, verifier);
    const accessToken = String(tokens.json.access_token);
    await postForm('/revoke', { token: accessToken, client_id: intruder.client_id });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refresh = await postForm('/token', {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: String(tokens.json.refresh_token),
    });
    assert.equal(refresh.status, 200);
  });
});

describe('consent', () => {
  async function prompts(
    clientId: string,
    redirectUri: string,
    browser = new OAuthBrowser(server.url),
  ): Promise<string[]> {
    const seen: string[] = [];
    let hop = await browser.request(
      authorizeUrl(server.url, {
        clientId,
        redirectUri,
        resource,
        challenge: pkcePair().challenge,
      }),
    );
    while (hop.location?.startsWith('/interaction/') === true) {
      const details = JSON.parse((await browser.request(hop.location)).body) as { prompt: string };
      seen.push(details.prompt);
      hop = await browser.request(`${hop.location}/${details.prompt}`, { method: 'POST' });
      hop = await browser.request(hop.location!);
    }
    assert.ok(new URL(hop.location!).searchParams.has('code'), hop.location);
    return seen;
  }

  it('is remembered per (user, client) across browser sessions for https redirect URIs', async () => {
    const client = await register({
      client_name: 'Web app',
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    assert.deepEqual(await prompts(client.client_id, 'https://app.example/cb'), [
      'login',
      'consent',
    ]);
    assert.deepEqual(await prompts(client.client_id, 'https://app.example/cb'), ['login']);
  });

  it('is remembered in the same browser for a registered client with https redirect URIs', async () => {
    const callback = 'https://claude.ai/api/mcp/auth_callback';
    const client = await register({
      client_name: 'Claude',
      redirect_uris: [callback],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const browser = new OAuthBrowser(server.url);
    assert.deepEqual(await prompts(client.client_id, callback, browser), ['login', 'consent']);
    assert.deepEqual(await prompts(client.client_id, callback, browser), []);
  });

  it('is remembered in the same browser for the pre-seeded Claude document', async () => {
    const browser = new OAuthBrowser(server.url);
    const clientId = 'https://claude.ai/oauth/mcp-oauth-client-metadata';
    const callback = 'https://claude.ai/api/mcp/auth_callback';
    // Consent may be remembered from an earlier test already: the first round signs in.
    assert.equal((await prompts(clientId, callback, browser))[0], 'login');
    assert.deepEqual(await prompts(clientId, callback, browser), []);
  });

  it('is asked again in the same browser for loopback and private-use redirect URIs', async () => {
    const cursor = 'cursor://anysphere.cursor-mcp/oauth/callback';
    const client = await register({
      client_name: 'Cursor',
      redirect_uris: [cursor, LOOPBACK],
      token_endpoint_auth_method: 'none',
    });
    const browser = new OAuthBrowser(server.url);
    assert.deepEqual(await prompts(client.client_id, LOOPBACK, browser), ['login', 'consent']);
    assert.deepEqual(await prompts(client.client_id, LOOPBACK, browser), ['consent']);
    assert.deepEqual(await prompts(client.client_id, cursor, browser), ['consent']);
  });

  it('is asked on every authorization for loopback redirect URIs (RFC 8252 §8.6)', async () => {
    const client = await publicClient();
    assert.deepEqual(await prompts(client.client_id, LOOPBACK), ['login', 'consent']);
    assert.deepEqual(await prompts(client.client_id, LOOPBACK), ['login', 'consent']);
  });

  it('shows the sign-in pages the client, its redirect host and the resource', async () => {
    const client = await register({
      client_name: 'Viewer',
      redirect_uris: ['http://localhost:7000/cb'],
      token_endpoint_auth_method: 'none',
    });
    const browser = new OAuthBrowser(server.url);
    const hop = await browser.request(
      authorizeUrl(server.url, {
        clientId: client.client_id,
        redirectUri: 'http://localhost:7000/cb',
        resource,
        challenge: pkcePair().challenge,
      }),
    );
    const view = JSON.parse((await browser.request(hop.location!)).body) as Record<string, unknown>;
    assert.equal(view.prompt, 'login');
    assert.deepEqual(view.client, {
      clientId: client.client_id,
      name: 'Viewer',
      redirectUri: 'http://localhost:7000/cb',
      redirectHost: 'localhost:7000',
      isLoopbackOnly: true,
      viaMetadataDocument: false,
    });
    assert.deepEqual(view.scopes, ['mcp', 'offline_access']);
    assert.deepEqual(view.resources, [{ url: resource, workspaceId: 'acme', serverId: 'echo' }]);
  });
});

describe('fetched client ID metadata documents', () => {
  it('fetches a document once from an allowlisted range, caches it and authorizes its client', async () => {
    const local = await startOAuthTestServer({
      resources: [['acme', 'echo']],
      env: { PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE: '127.0.0.0/8' },
    });
    const hosted = await hostClientMetadataDocument((clientId) => ({
      client_id: clientId,
      client_name: 'Hosted client',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    }));
    try {
      const localResource = `${local.url}/acme/echo/mcp`;
      for (let round = 0; round < 2; round += 1) {
        const pkce = pkcePair();
        const redirectUri = 'http://127.0.0.1:40123/callback';
        const callback = await runAuthorization(
          new OAuthBrowser(local.url),
          authorizeUrl(local.url, {
            clientId: hosted.url,
            redirectUri,
            resource: localResource,
            challenge: pkce.challenge,
          }),
        );
        const token = await fetch(`${local.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: hosted.url,
            code: callback.searchParams.get('code')!,
            code_verifier: pkce.verifier,
            redirect_uri: redirectUri,
            resource: localResource,
          }).toString(),
        });
        assert.equal(token.status, 200, await token.clone().text());
      }
      assert.equal(hosted.fetches(), 1);
    } finally {
      await hosted.close();
      await local.close();
    }
  });

  it('refuses a document whose client_id is not its own URL', async () => {
    const local = await startOAuthTestServer({
      resources: [['acme', 'echo']],
      env: { PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE: '127.0.0.0/8' },
    });
    const hosted = await hostClientMetadataDocument(() => ({
      client_id: 'https://impostor.example/client.json',
      client_name: 'Impostor',
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'none',
    }));
    try {
      const hop = await new OAuthBrowser(local.url).request(
        authorizeUrl(local.url, {
          clientId: hosted.url,
          redirectUri: 'https://app.example/cb',
          resource: `${local.url}/acme/echo/mcp`,
          challenge: pkcePair().challenge,
        }),
      );
      assert.equal(hop.status, 400);
      assert.equal((JSON.parse(hop.body) as { error: string }).error, 'invalid_client_metadata');
    } finally {
      await hosted.close();
      await local.close();
    }
  });
});

describe('the whole gateway', () => {
  it('discovers, registers, signs in through the pages and calls the MCP endpoint with the token', async () => {
    const upstream = await startFixtureServer();
    const gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [{ email: 'ada@acme.test', password: 'ada has a long password', role: 'member' }],
    });
    try {
      const metadata = (await (
        await fetch(`${gateway.url}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, gateway.url);
      const endpoint = gateway.endpoint('fixture');
      const registered = await fetch(`${gateway.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Whole gateway',
          redirect_uris: [LOOPBACK],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
        }),
      });
      const client = (await registered.json()) as { client_id: string };
      const pkce = pkcePair();
      const location = await signInAndConsent(
        authorizeUrl(gateway.url, {
          clientId: client.client_id,
          redirectUri: LOOPBACK,
          resource: endpoint,
          challenge: pkce.challenge,
        }),
        { email: 'ada@acme.test', password: 'ada has a long password' },
      );
      const callback = new URL(location);
      assert.equal(callback.searchParams.get('iss'), gateway.url);
      const token = await fetch(`${gateway.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: client.client_id,
          code: callback.searchParams.get('code')!,
          code_verifier: pkce.verifier,
          redirect_uri: LOOPBACK,
          resource: endpoint,
        }).toString(),
      });
      const tokens = (await token.json()) as Record<string, unknown>;
      assert.equal(token.status, 200, JSON.stringify(tokens));
      const answer = await mcpPost(endpoint, initializeBody(), {
        authorization: `Bearer ${String(tokens.access_token)}`,
      });
      assert.equal(answer.status, 200);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});
