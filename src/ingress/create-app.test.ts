import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from './create-app.ts';
import { createOriginGuard } from './origin-guard.ts';

function app(ready = true) {
  return createApp({
    logger: pino({ level: 'silent' }),
    bodyLimit: 1024,
    originGuard: createOriginGuard('http://127.0.0.1:8080', ['https://app.example.com']),
    mcpHandler: async (_request, reply) =>
      void reply
        .code(200)
        .type('application/json')
        .send(JSON.stringify({ ok: true })),
    isReady: async () => ready,
  });
}

describe('ingress', () => {
  it('answers liveness always and readiness by the readiness check', async () => {
    assert.equal((await app().inject({ url: '/healthz' })).statusCode, 200);
    assert.equal((await app(true).inject({ url: '/readyz' })).statusCode, 200);
    const notReady = await app(false).inject({ url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json(), { status: 'not_ready' });
  });

  it('answers a CORS preflight from an allowed origin with the MCP headers', async () => {
    const response = await app().inject({
      method: 'OPTIONS',
      url: '/acme/github/mcp',
      headers: {
        origin: 'https://app.example.com',
        host: '127.0.0.1:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, mcp-session-id',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    assert.match(String(response.headers['access-control-allow-headers']), /mcp-session-id/);
    assert.match(String(response.headers['access-control-expose-headers']), /mcp-session-id/i);
  });

  it('refuses a preflight from another origin with 403 and no CORS grant', async () => {
    const response = await app().inject({
      method: 'OPTIONS',
      url: '/acme/github/mcp',
      headers: { origin: 'https://evil.example', host: '127.0.0.1:8080' },
    });
    assert.equal(response.statusCode, 403);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.json().error.data.reason, 'origin_not_allowed');
  });

  it('answers 405 with Allow for methods the MCP endpoint does not serve, HEAD included', async () => {
    for (const method of ['HEAD', 'PUT', 'PATCH'] as const) {
      const response = await app().inject({ method, url: '/acme/github/mcp' });
      assert.equal(response.statusCode, 405, method);
      assert.match(String(response.headers.allow), /GET, POST, DELETE/);
    }
  });

  it('answers an oversized MCP body with 413 as a JSON-RPC error', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/acme/github/mcp',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(2048) }),
    });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().jsonrpc, '2.0');
    assert.equal(response.json().error.data.reason, 'payload_too_large');
  });

  it('gives every request a time-ordered id (the records key), echoed as x-request-id', async () => {
    const server = app();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(String((await server.inject({ url: '/healthz' })).headers['x-request-id']));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal(new Set(ids).size, 5);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app().inject({ url: '/nope' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error, 'not_found');
  });
});
