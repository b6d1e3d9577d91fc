import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import { createOAuthFetch } from './oauth-fetch.ts';

/** A loopback server whose routes answer as the test says. */
let server: http.Server;
let origin = '';
const hits: string[] = [];
before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"ok":true}');
    }
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/json' });
      return void res.end();
    }
    if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' });
      return void res.end();
    }
    if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`"${'x'.repeat(4096)}"`);
    }
    if (url.pathname === '/hang') return; // never answers
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function refusal(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatewayError, `not a GatewayError: ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('the upstream OAuth fetch (SSRF guard)', () => {
  const strict = createOAuthFetch({ allowPrivate: [] });
  const loopback = createOAuthFetch({
    allowPrivate: ['127.0.0.1/32'],
    timeoutMs: 500,
    maxBytes: 1024,
  });
  after(async () => {
    await strict.close();
    await loopback.close();
  });

  it('refuses the cloud metadata address 169.254.169.254', async () => {
    await refusal(
      strict('http://169.254.169.254/latest/meta-data/'),
      'forbidden',
      /169\.254\.169\.254.*not allowlisted/,
    );
    await refusal(strict('https://169.254.169.254/'), 'forbidden', /169\.254\.169\.254/);
  });

  it('refuses private addresses', async () => {
    await refusal(
      strict('https://10.0.0.1/.well-known/oauth-authorization-server'),
      'forbidden',
      /10\.0\.0\.1/,
    );
    await refusal(strict('https://[fd00::1]/x'), 'forbidden', /fd00::1/);
    await refusal(strict('https://[::ffff:192.168.0.1]/x'), 'forbidden', /private/);
  });

  it('refuses loopback names when loopback is not allowlisted', async () => {
    const before = hits.length;
    await refusal(
      strict(`${origin.replace('127.0.0.1', 'localhost')}/json`),
      'forbidden',
      /localhost/,
    );
    await refusal(strict(`${origin}/json`), 'forbidden', /127\.0\.0\.1/);
    assert.equal(hits.length, before, 'nothing reached the server');
  });

  it('refuses plain http to a public address', async () => {
    await refusal(
      strict('http://93.184.215.14/.well-known/oauth-protected-resource'),
      'forbidden',
      /plain http/,
    );
    await refusal(loopback('http://93.184.215.14/'), 'forbidden', /plain http/);
  });

  it('refuses schemes other than http(s) and credentials in the URL', async () => {
    await refusal(strict('file:///etc/passwd'), 'forbidden', /scheme file:/);
    await refusal(strict('https://user:pw@example.com/'), 'forbidden', /credentials/);
  });

  it('fetches an allowlisted loopback address over http', async () => {
    const response = await loopback(`${origin}/json`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it('follows a GET redirect but refuses one to a private or metadata address', async () => {
    assert.equal((await loopback(`${origin}/redirect?to=/json`)).status, 200);
    await refusal(
      loopback(
        `${origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
      ),
      'forbidden',
      /169\.254\.169\.254/,
    );
    await refusal(
      loopback(`${origin}/redirect?to=${encodeURIComponent('https://10.1.2.3/')}`),
      'forbidden',
      /10\.1\.2\.3/,
    );
  });

  it('never follows a redirect of a POST', async () => {
    await refusal(
      loopback(`${origin}/redirect`, { method: 'POST', body: 'a=b' }),
      'upstream_oauth_error',
      /redirected a POST/,
    );
  });

  it('stops after five redirects', async () => {
    await refusal(loopback(`${origin}/loop`), 'upstream_oauth_error', /more than 5 redirects/);
  });

  it('caps the response size', async () => {
    await refusal(loopback(`${origin}/big`), 'upstream_oauth_error', /more than 1024 bytes/);
  });

  it('gives up on a server that does not answer, as a retryable error', async () => {
    await assert.rejects(loopback(`${origin}/hang`), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_oauth_unavailable');
      assert.equal(error.retryable, true);
      assert.match(error.message, /within 500 ms/);
      return true;
    });
  });

  it('reports an unreachable server as retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await refusal(
      loopback(`http://127.0.0.1:${port}/`),
      'upstream_oauth_unavailable',
      /could not be reached/,
    );
  });
});
