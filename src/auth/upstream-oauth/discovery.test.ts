/**
 * Discovery against upstreams that publish wrong or unusual metadata: a
 * loopback server serving the documents each test sets. The happy path
 * against a real authorization server is in upstream-oauth-client.test.ts.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import { authorizationServerMetadataUrls, discoverUpstream } from './discovery.ts';
import { createOAuthFetch } from './oauth-fetch.ts';

let server: http.Server;
let origin = '';
let documents = new Map<string, { status?: number; body: unknown }>();
let requested: string[] = [];
const fetch = createOAuthFetch({ allowPrivate: ['127.0.0.1/32'] });

before(async () => {
  server = http.createServer((req, res) => {
    requested.push(req.url ?? '');
    const document = documents.get(req.url ?? '');
    if (document === undefined) {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(document.status ?? 200, { 'content-type': 'application/json' });
    res.end(typeof document.body === 'string' ? document.body : JSON.stringify(document.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await fetch.close();
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  documents = new Map();
  requested = [];
});

function asMetadata(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    code_challenge_methods_supported: ['S256'],
    ...extra,
  };
}

function serve(path: string, body: unknown, status?: number): void {
  documents.set(path, { body, ...(status === undefined ? {} : { status }) });
}

async function refused(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('discovery of an upstream authorization server', () => {
  it('uses the resource_metadata of the challenge, and the challenge scope', async () => {
    serve('/custom/prm', {
      resource: `${origin}/mcp`,
      authorization_servers: [origin],
      scopes_supported: ['a'],
    });
    serve('/.well-known/oauth-authorization-server', asMetadata(origin));
    const found = await discoverUpstream(fetch, `${origin}/mcp`, {
      challenge: `Bearer resource_metadata="${origin}/custom/prm", scope="b c"`,
    });
    assert.equal(found.resourceMetadataUrl, `${origin}/custom/prm`);
    assert.deepEqual(found.scopes, ['b', 'c']);
    assert.equal(found.issuer, origin);
    assert.equal(found.resource, `${origin}/mcp`);
  });

  it('tries the path-inserted PRM, then the root one, and takes scopes_supported', async () => {
    serve('/.well-known/oauth-protected-resource', {
      resource: `${origin}/`,
      authorization_servers: [origin],
      scopes_supported: ['x'],
    });
    serve('/.well-known/oauth-authorization-server', asMetadata(origin));
    const found = await discoverUpstream(fetch, `${origin}/tenant/mcp`);
    assert.deepEqual(requested.slice(0, 2), [
      '/.well-known/oauth-protected-resource/tenant/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    assert.deepEqual(found.scopes, ['x']);
  });

  it('probes AS metadata in the spec order for an issuer with a path', async () => {
    const issuer = `${origin}/tenant1`;
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: [issuer],
    });
    serve('/tenant1/.well-known/openid-configuration', asMetadata(issuer));
    const found = await discoverUpstream(fetch, `${origin}/mcp`);
    assert.deepEqual(requested.slice(1), [
      '/.well-known/oauth-authorization-server/tenant1',
      '/.well-known/openid-configuration/tenant1',
      '/tenant1/.well-known/openid-configuration',
    ]);
    assert.equal(found.issuer, issuer);
    assert.deepEqual(authorizationServerMetadataUrls('https://as.example'), [
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
  });

  it('refuses a PRM that describes another resource (RFC 9728 §3.3)', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: 'https://evil.example/mcp',
      authorization_servers: [origin],
    });
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_error',
      /describes "https:\/\/evil\.example\/mcp"/,
    );
  });

  it('refuses AS metadata whose issuer differs, even by a trailing slash', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: [origin],
    });
    serve('/.well-known/oauth-authorization-server', asMetadata(`${origin}/`));
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_error',
      /names the issuer ".*\/", not/,
    );
  });

  it('refuses an AS without S256', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: [origin],
    });
    serve(
      '/.well-known/oauth-authorization-server',
      asMetadata(origin, { code_challenge_methods_supported: ['plain'] }),
    );
    await refused(discoverUpstream(fetch, `${origin}/mcp`), 'upstream_oauth_error', /PKCE S256/);
  });

  it('refuses an AS that advertises no PKCE at all', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: [origin],
    });
    const { code_challenge_methods_supported: _, ...withoutPkce } = asMetadata(origin);
    serve('/.well-known/oauth-authorization-server', withoutPkce);
    await refused(discoverUpstream(fetch, `${origin}/mcp`), 'upstream_oauth_error', /PKCE S256/);
  });

  it('refuses metadata pointing the AS at 169.254.169.254 or a private address', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: ['http://169.254.169.254'],
    });
    await refused(discoverUpstream(fetch, `${origin}/mcp`), 'forbidden', /169\.254\.169\.254/);
    serve('/.well-known/oauth-protected-resource/mcp', {
      resource: `${origin}/mcp`,
      authorization_servers: ['https://192.168.1.10'],
    });
    await refused(discoverUpstream(fetch, `${origin}/mcp`), 'forbidden', /192\.168\.1\.10/);
  });

  it('refuses a challenge whose resource_metadata points at a private address', async () => {
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`, {
        challenge: 'Bearer resource_metadata="https://10.0.0.7/prm"',
      }),
      'forbidden',
      /10\.0\.0\.7/,
    );
  });

  it('refuses a PRM without authorization_servers, or without resource', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', { resource: `${origin}/mcp` });
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_error',
      /no authorization_servers/,
    );
    serve('/.well-known/oauth-protected-resource/mcp', { authorization_servers: [origin] });
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_error',
      /no "resource"/,
    );
  });

  it('refuses a PRM that is not JSON', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', '<html>');
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_error',
      /did not answer JSON/,
    );
  });

  it('reports a failing metadata host as retryable', async () => {
    serve('/.well-known/oauth-protected-resource/mcp', { error: 'boom' }, 503);
    await refused(
      discoverUpstream(fetch, `${origin}/mcp`),
      'upstream_oauth_unavailable',
      /answered 503/,
    );
  });

  it('falls back to the 2025-03-26 default endpoints when nothing is published', async () => {
    const found = await discoverUpstream(fetch, `${origin}/mcp`);
    assert.equal(found.issuer, origin);
    assert.equal(found.metadata.token_endpoint, `${origin}/token`);
    assert.equal(found.metadata.authorization_endpoint, `${origin}/authorize`);
  });

  it('refuses a URL that is not http(s)', async () => {
    await refused(
      discoverUpstream(fetch, 'ftp://example.com/mcp'),
      'upstream_oauth_error',
      /not an http\(s\) URL/,
    );
    await refused(discoverUpstream(fetch, 'not a url'), 'upstream_oauth_error', /not a URL/);
  });
});
