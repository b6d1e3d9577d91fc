import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createClientMetadataFetch,
  PRESEEDED_CLIENT_METADATA,
} from './client-metadata-documents.ts';

describe('client metadata document fetch', () => {
  let server: http.Server;
  let base: string;
  const document = {
    client_id: 'x',
    client_name: 'Fixture',
    redirect_uris: ['https://a.example/cb'],
  };

  before(async () => {
    server = http.createServer((request, response) => {
      switch (request.url) {
        case '/doc':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(document));
          return;
        case '/redirect':
          response.writeHead(302, { location: '/doc' });
          response.end();
          return;
        case '/big':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ pad: 'x'.repeat(10_000) }));
          return;
        case '/big-chunked':
          response.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < 20; i += 1) response.write('x'.repeat(1000));
          response.end();
          return;
        case '/html':
          response.writeHead(200, { 'content-type': 'text/html' });
          response.end('<p>hi</p>');
          return;
        case '/slow':
          setTimeout(() => response.end('{}'), 2_000).unref();
          return;
        default:
          response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('refuses http when no private range is allowlisted', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: [] });
    await assert.rejects(guarded(`${base}/doc`), /https only/);
  });

  it('refuses a loopback address that is not allowlisted', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['10.0.0.0/8'] });
    await assert.rejects(guarded(`${base}/doc`), (error: Error) => {
      assert.match(error.message, /private or reserved/);
      assert.match(error.message, /PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE/);
      assert.doesNotMatch(error.message, /UPSTREAM/);
      return true;
    });
  });

  it('refuses a host name that resolves to loopback, naming the setting that opens it', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['10.0.0.0/8'] });
    const port = (server.address() as AddressInfo).port;
    await assert.rejects(guarded(`http://localhost:${port}/doc`), (error: Error) => {
      const text = `${error.message} ${String((error.cause as Error | undefined)?.message)}`;
      assert.match(text, /private or reserved/);
      assert.match(text, /PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE/);
      assert.doesNotMatch(text, /Upstream|UPSTREAM/);
      return true;
    });
  });

  it('fetches from an allowlisted loopback range', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['127.0.0.0/8'] });
    const response = await guarded(`${base}/doc`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), document);
  });

  it('refuses redirects', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['127.0.0.0/8'] });
    await assert.rejects(guarded(`${base}/redirect`), /redirect/);
  });

  it('refuses a document over the size cap, declared or streamed', async () => {
    const guarded = createClientMetadataFetch({
      allowPrivate: ['127.0.0.0/8'],
      maxBytes: 5 * 1024,
    });
    await assert.rejects(guarded(`${base}/big`), /exceeds 5120 bytes/);
    await assert.rejects(guarded(`${base}/big-chunked`), /exceeds 5120 bytes/);
  });

  it('refuses a content type other than JSON', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['127.0.0.0/8'] });
    await assert.rejects(guarded(`${base}/html`), /not application\/json/);
  });

  it('gives up after the timeout', async () => {
    const guarded = createClientMetadataFetch({ allowPrivate: ['127.0.0.0/8'], timeoutMs: 200 });
    await assert.rejects(guarded(`${base}/slow`), /abort|timeout/i);
  });

  it("pre-seeds Claude's and Claude Code's documents with client_id equal to their URL", () => {
    for (const [url, metadata] of PRESEEDED_CLIENT_METADATA) {
      assert.equal(metadata.client_id, url);
      assert.equal(metadata.token_endpoint_auth_method, 'none');
    }
  });
});
