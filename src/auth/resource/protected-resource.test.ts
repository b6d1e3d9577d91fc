import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from '../../ingress/create-app.ts';
import { createOriginGuard } from '../../ingress/origin-guard.ts';
import { protectedResourceRoutes } from './protected-resource.ts';

const PUBLIC_URL = 'https://gw.example';
const app = createApp({
  logger: pino({ level: 'silent' }),
  bodyLimit: 1024,
  originGuard: createOriginGuard(PUBLIC_URL, []),
  mcpHandler: () => Promise.resolve(),
  isReady: () => Promise.resolve(true),
  routeModules: [protectedResourceRoutes(PUBLIC_URL)],
});
before(() => app.ready());
after(() => app.close());

describe('protected resource metadata (RFC 9728)', () => {
  it('has no root document, which would describe another resource', async () => {
    const response = await app.inject({ url: '/.well-known/oauth-protected-resource' });
    assert.equal(response.statusCode, 404);
  });

  it('refuses paths whose segments cannot be ids', async () => {
    const response = await app.inject({
      url: '/.well-known/oauth-protected-resource/Acme%22/x/mcp',
    });
    assert.equal(response.statusCode, 404);
  });

  it('describes the endpoint at the path-inserted URL, resource byte-exact', async () => {
    const response = await app.inject({
      url: '/.well-known/oauth-protected-resource/acme/github/mcp',
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      resource: 'https://gw.example/acme/github/mcp',
      authorization_servers: ['https://gw.example'],
      scopes_supported: ['mcp'],
      bearer_methods_supported: ['header'],
    });
    assert.equal(response.headers['access-control-allow-origin'], '*');
  });

  it('answers CORS preflights from browser clients', async () => {
    const response = await app.inject({
      method: 'OPTIONS',
      url: '/.well-known/oauth-protected-resource/acme/github/mcp',
      headers: {
        origin: 'http://localhost:6274',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'mcp-protocol-version',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.equal(response.headers['access-control-allow-headers'], 'mcp-protocol-version');
  });
});
