import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from '../../ingress/create-app.ts';
import { createOriginGuard } from '../../ingress/origin-guard.ts';
import { createUpstreamClientMetadataRoute } from './client-metadata-route.ts';
import { clientMetadataDocumentUrl, upstreamCallbackUrl } from './upstream-oauth-client.ts';

const PUBLIC_URL = 'https://gw.example';
const app = createApp({
  logger: pino({ level: 'silent' }),
  bodyLimit: 1024,
  originGuard: createOriginGuard(PUBLIC_URL, []),
  mcpHandler: () => Promise.resolve(),
  isReady: () => Promise.resolve(true),
  routeModules: [
    createUpstreamClientMetadataRoute({ publicUrl: PUBLIC_URL, clientName: 'Acme gateway' }),
  ],
});
before(() => app.ready());
after(() => app.close());

describe("the gateway's client ID metadata document", () => {
  it('is served at its own client_id URL, byte for byte', async () => {
    const response = await app.inject({ url: '/oauth/upstream-client.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.match(String(response.headers['cache-control']), /max-age=\d+/);
    const document = response.json<Record<string, unknown>>();
    assert.equal(document.client_id, 'https://gw.example/oauth/upstream-client.json');
    assert.equal(document.client_id, clientMetadataDocumentUrl(PUBLIC_URL));
  });

  it('declares a web client with the hosted callback and no secret', async () => {
    const document = (await app.inject({ url: '/oauth/upstream-client.json' })).json<
      Record<string, unknown>
    >();
    assert.deepEqual(document.redirect_uris, [upstreamCallbackUrl(PUBLIC_URL)]);
    assert.deepEqual(document.redirect_uris, ['https://gw.example/oauth/upstream/callback']);
    assert.equal(document.application_type, 'web');
    assert.equal(document.token_endpoint_auth_method, 'none');
    assert.equal(document.client_name, 'Acme gateway');
    assert.deepEqual(document.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal('client_secret' in document, false);
  });

  it('answers other methods with 404 or 405, never the document', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/oauth/upstream-client.json',
      payload: '{}',
    });
    assert.notEqual(response.statusCode, 200);
  });
});
