/**
 * The upstream OAuth client against a real authorization server: the OAuth
 * upstream fixture (oidc-provider in front of an MCP server).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import {
  startOAuthUpstream,
  type RunningOAuthUpstream,
} from '../../../test/fixtures/oauth-upstream/oauth-upstream.ts';
import {
  createUpstreamOAuthClient,
  type ClientRegistration,
  type TokenSet,
  type UpstreamDiscovery,
} from './upstream-oauth-client.ts';

const PUBLIC_URL = 'http://127.0.0.1:1';
const REDIRECT_URI = `${PUBLIC_URL}/oauth/upstream/callback`;
const DOCUMENT_URL = 'https://gateway.example/oauth/upstream-client.json';

let upstream: RunningOAuthUpstream;
const client = createUpstreamOAuthClient({ publicUrl: PUBLIC_URL, allowPrivate: ['127.0.0.1/32'] });
let discovery: UpstreamDiscovery;
let registration: ClientRegistration;

before(async () => {
  upstream = await startOAuthUpstream({
    preRegisteredClients: [
      { client_id: 'pre-confidential', client_secret: 'pre-secret', redirect_uris: [REDIRECT_URI] },
      {
        client_id: 'service-account',
        client_secret: 'service-secret',
        grant_types: ['client_credentials'],
      },
    ],
    clientMetadataDocuments: {
      [DOCUMENT_URL]: {
        client_id: DOCUMENT_URL,
        client_name: 'Portcullis',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    },
  });
  discovery = await client.discover(upstream.mcpUrl);
  registration = await client.register(discovery.metadata, { redirectUri: REDIRECT_URI });
});
after(async () => {
  await client.close();
  await upstream.close();
});

async function connect(subject: string, reg = registration): Promise<TokenSet> {
  const request = await client.authorizationRequest(discovery.metadata, reg, {
    redirectUri: REDIRECT_URI,
    resource: discovery.resource,
    scopes: discovery.scopes,
  });
  const callback = await upstream.approve(request.url, { subject });
  return client.exchangeCode(discovery.metadata, reg, request.pending, callback);
}

async function whoami(tokens: TokenSet): Promise<{ status: number; sub?: string }> {
  const response = await fetch(upstream.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    }),
  });
  if (response.status !== 200) return { status: response.status };
  const text = await response.text();
  const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
  const result = JSON.parse(data) as { result: { content: Array<{ text: string }> } };
  return { status: 200, sub: (JSON.parse(result.result.content[0]!.text) as { sub: string }).sub };
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  pattern?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code, error.message);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  });
}

describe('upstream OAuth client against a real authorization server', () => {
  it('discovers the AS from the 401 challenge, with its scope and the exact resource', async () => {
    const response = await fetch(upstream.mcpUrl, { method: 'POST', body: '{}' });
    assert.equal(response.status, 401);
    const found = await client.discover(upstream.mcpUrl, {
      challenge: response.headers.get('www-authenticate')!,
    });
    assert.equal(found.issuer, upstream.issuer);
    assert.equal(found.resource, upstream.mcpUrl);
    assert.equal(found.resourceMetadataUrl, upstream.resourceMetadataUrl);
    assert.deepEqual(found.scopes, ['mcp:tools']);
    assert.ok(found.metadata.code_challenge_methods_supported?.includes('S256'));
  });

  it('registers dynamically as a confidential web client when the gateway URL is not https', () => {
    assert.equal(registration.method, 'dynamic');
    assert.equal(registration.issuer, upstream.issuer);
    assert.equal(registration.tokenEndpointAuthMethod, 'client_secret_basic');
    assert.ok(registration.clientSecret !== undefined && registration.clientSecret.length > 20);
  });

  it('builds an authorization request with PKCE S256, state, resource and offline_access', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes: ['mcp:tools'],
      quirks: { extraAuthorizeParams: { prompt: 'consent', state: 'attacker-chosen' } },
    });
    const url = new URL(request.url);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('resource'), upstream.mcpUrl);
    assert.equal(url.searchParams.get('scope'), 'mcp:tools offline_access');
    assert.equal(url.searchParams.get('prompt'), 'consent');
    assert.equal(
      url.searchParams.get('state'),
      request.pending.state,
      'a quirk cannot replace state',
    );
    assert.equal(request.pending.issuer, upstream.issuer);
    assert.ok(request.pending.codeVerifier.length >= 43);
  });

  it('gives each member their own upstream identity', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    assert.equal((await whoami(alice)).sub, 'alice');
    assert.equal((await whoami(bob)).sub, 'bob');
    assert.equal(alice.tokenType, 'Bearer');
    assert.ok(
      alice.refreshToken !== undefined,
      'a refresh token without offline_access + prompt=consent',
    );
    assert.ok(alice.expiresAt !== undefined && alice.expiresAt > Date.now());
  });

  it('refreshes with rotation; the replaced refresh token is refused as invalid_grant', async () => {
    const first = await connect('alice');
    const second = await client.refresh(discovery.metadata, registration, first.refreshToken!, {
      resource: discovery.resource,
    });
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal((await whoami(second)).sub, 'alice');
    await rejectsWith(
      client.refresh(discovery.metadata, registration, first.refreshToken!, {
        resource: discovery.resource,
      }),
      'upstream_grant_invalid',
      /invalid_grant/,
    );
  });

  it('surfaces a revoked grant as upstream_grant_invalid, and its access token stops working', async () => {
    const tokens = await connect('bob');
    upstream.revokeSubject('bob');
    assert.equal((await whoami(tokens)).status, 401);
    await rejectsWith(
      client.refresh(discovery.metadata, registration, tokens.refreshToken!, {
        resource: discovery.resource,
      }),
      'upstream_grant_invalid',
    );
  });

  it('revokes a refresh token at the AS (RFC 7009), after which it is refused', async () => {
    const tokens = await connect('alice');
    await client.revoke(discovery.metadata, registration, tokens.refreshToken!, 'refresh_token');
    await rejectsWith(
      client.refresh(discovery.metadata, registration, tokens.refreshToken!, {
        resource: discovery.resource,
      }),
      'upstream_grant_invalid',
    );
    const { revocation_endpoint: _, ...withoutRevocation } = discovery.metadata;
    await client.revoke(withoutRevocation, registration, tokens.accessToken, 'access_token');
  });

  it('refuses a callback with another state without calling the token endpoint', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes: discovery.scopes,
    });
    const callback = new URL(await upstream.approve(request.url));
    callback.searchParams.set('state', 'forged');
    const exchanges = upstream.tokenGrants.authorization_code;
    await rejectsWith(
      client.exchangeCode(discovery.metadata, registration, request.pending, callback),
      'upstream_authorization_failed',
      /state/,
    );
    assert.equal(upstream.tokenGrants.authorization_code, exchanges);
  });

  it('refuses a callback from another issuer, or without the advertised iss (RFC 9207)', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes: discovery.scopes,
    });
    const callback = new URL(await upstream.approve(request.url));
    callback.searchParams.set('iss', `${upstream.issuer}/`);
    await rejectsWith(
      client.exchangeCode(discovery.metadata, registration, request.pending, callback),
      'upstream_authorization_failed',
      /issuer/,
    );
    callback.searchParams.delete('iss');
    await rejectsWith(
      client.exchangeCode(discovery.metadata, registration, request.pending, callback),
      'upstream_authorization_failed',
      /lacks the iss/,
    );
  });

  it('reports a refused authorization with its error code', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes: discovery.scopes,
    });
    const callback = await upstream.approve(request.url, { deny: true });
    await rejectsWith(
      client.exchangeCode(discovery.metadata, registration, request.pending, callback),
      'upstream_authorization_failed',
      /access_denied/,
    );
  });

  it('refuses a code presented twice', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes: discovery.scopes,
    });
    const callback = await upstream.approve(request.url);
    await client.exchangeCode(discovery.metadata, registration, request.pending, callback);
    await rejectsWith(
      client.exchangeCode(discovery.metadata, registration, request.pending, callback),
      'upstream_grant_invalid',
    );
  });

  it('refuses a registration from another issuer (credentials are keyed by issuer)', async () => {
    const foreign = { ...registration, issuer: 'https://other-as.example' };
    await rejectsWith(
      client.authorizationRequest(discovery.metadata, foreign, {
        redirectUri: REDIRECT_URI,
        resource: discovery.resource,
      }),
      'upstream_oauth_error',
      /belongs to https:\/\/other-as\.example/,
    );
    await rejectsWith(
      client.refresh(discovery.metadata, foreign, 'x', { resource: discovery.resource }),
      'upstream_oauth_error',
      /register again/,
    );
  });

  it('uses a pre-registered client first', async () => {
    const pre = await client.register(discovery.metadata, {
      redirectUri: REDIRECT_URI,
      preRegistered: { clientId: 'pre-confidential', clientSecret: 'pre-secret' },
    });
    assert.equal(pre.method, 'pre_registered');
    assert.equal((await whoami(await connect('alice', pre))).sub, 'alice');
  });

  it('uses the gateway client metadata document when the AS supports CIMD and the gateway is https', async () => {
    const httpsGateway = createUpstreamOAuthClient({
      publicUrl: 'https://gateway.example',
      allowPrivate: ['127.0.0.1/32'],
    });
    try {
      const cimd = await httpsGateway.register(discovery.metadata, { redirectUri: REDIRECT_URI });
      assert.equal(cimd.method, 'client_metadata_document');
      assert.equal(cimd.clientId, DOCUMENT_URL);
      assert.equal(cimd.tokenEndpointAuthMethod, 'none');
      assert.equal((await whoami(await connect('bob', cimd))).sub, 'bob');
    } finally {
      await httpsGateway.close();
    }
  });

  it('omits resource under the omitResource quirk', async () => {
    const request = await client.authorizationRequest(discovery.metadata, registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      quirks: { omitResource: true, scopes: ['mcp:tools'] },
    });
    assert.equal(new URL(request.url).searchParams.get('resource'), null);
    assert.equal(request.pending.resource, undefined);
    const callback = await upstream.approve(request.url, { subject: 'alice' });
    const tokens = await client.exchangeCode(
      discovery.metadata,
      registration,
      request.pending,
      callback,
    );
    assert.equal((await whoami(tokens)).sub, 'alice');
  });

  it('gets a token with client credentials', async () => {
    const service = await client.register(discovery.metadata, {
      redirectUri: REDIRECT_URI,
      preRegistered: { clientId: 'service-account', clientSecret: 'service-secret' },
    });
    const tokens = await client.clientCredentials(discovery.metadata, service, {
      resource: discovery.resource,
      scopes: ['mcp:tools'],
    });
    assert.equal((await whoami(tokens)).status, 200);
    assert.ok(upstream.mcpCallsBy['service-account']! >= 1);
  });

  it('refuses client credentials with a wrong secret, not as a broken grant', async () => {
    const wrong = await client.register(discovery.metadata, {
      redirectUri: REDIRECT_URI,
      preRegistered: { clientId: 'service-account', clientSecret: 'wrong' },
    });
    await rejectsWith(
      client.clientCredentials(discovery.metadata, wrong, { resource: discovery.resource }),
      'upstream_oauth_error',
      /invalid_client/,
    );
  });

  it('refuses an empty refresh token as a broken grant without a request', async () => {
    await rejectsWith(
      client.refresh(discovery.metadata, registration, ''),
      'upstream_grant_invalid',
    );
  });

  it('reports a token endpoint answering 503 or 429 as retryable, never as a broken grant', async () => {
    const failing = http.createServer((req, res) => {
      res.writeHead(req.url === '/busy' ? 429 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    try {
      for (const path of ['/down', '/busy']) {
        const as = { ...discovery.metadata, token_endpoint: `${origin}${path}` };
        await assert.rejects(
          client.refresh(as, registration, 'some-refresh-token'),
          (error: unknown) =>
            error instanceof GatewayError &&
            error.code === 'upstream_oauth_unavailable' &&
            error.retryable,
        );
      }
    } finally {
      failing.closeAllConnections();
      failing.close();
    }
  });

  it('refuses a token endpoint on a link-local or private address', async () => {
    for (const endpoint of ['http://169.254.169.254/token', 'https://10.0.0.5/token']) {
      const as = { ...discovery.metadata, token_endpoint: endpoint };
      await rejectsWith(client.refresh(as, registration, 'some-refresh-token'), 'forbidden');
    }
  });

  it('refuses to send the browser to a non-https authorization endpoint on a public host', async () => {
    for (const endpoint of ['http://93.184.215.14/authorize', 'javascript:alert(1)']) {
      await rejectsWith(
        client.authorizationRequest(
          { ...discovery.metadata, authorization_endpoint: endpoint },
          registration,
          {
            redirectUri: REDIRECT_URI,
            resource: discovery.resource,
          },
        ),
        'upstream_oauth_error',
        /not an https URL/,
      );
    }
  });

  it('refuses an AS that offers no way to register', async () => {
    const { registration_endpoint: _, ...closed } = discovery.metadata;
    await rejectsWith(
      client.register(
        { ...closed, client_id_metadata_document_supported: false },
        { redirectUri: REDIRECT_URI },
      ),
      'upstream_oauth_error',
      /pre-register/,
    );
  });
});
