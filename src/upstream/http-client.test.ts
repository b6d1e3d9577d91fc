/**
 * Non-2xx upstream answers carry their HTTP status on the error, whichever
 * way the transport read them (JSON error body, plain text, SSE GET).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import { UpstreamHttpError, upstreamStatusOf } from './http-client.ts';
import { createAddressGuard } from './ssrf-guard.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';

/** Answers every request with the status named by the `x-answer` header and a body of its kind. */
function scriptedServer(): http.Server {
  return http.createServer((request, response) => {
    request.resume();
    const [status, kind] = String(request.headers['x-answer'] ?? '200 json').split(' ');
    const code = Number(status);
    if (kind === 'json') {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'no entry' } }),
      );
      return;
    }
    response.writeHead(code, { 'content-type': 'text/plain' });
    response.end('refused: answered HTTP 401 earlier');
  });
}

const ping = { jsonrpc: '2.0' as const, id: 1, method: 'ping' };

describe('upstream HTTP status on transport errors', () => {
  const server = scriptedServer();
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const upstream = () =>
    createStreamableHttpUpstream('acme/linear', url, createAddressGuard(['*']));
  const call = (answer: string) => ({ timeoutMs: 2000, headers: { 'x-answer': answer } });

  it('carries 401 from a POST answered with a JSON-RPC error body', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('401 json')), (error: unknown) => {
      assert.ok(error instanceof UpstreamHttpError);
      assert.equal(upstreamStatusOf(error), 401);
      assert.equal(error.code, 'upstream_protocol_error');
      assert.match(error.message, /answered HTTP 401: no entry/);
      return true;
    });
    await target.close();
  });

  it('carries 401 from a POST answered with plain text', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('401 text')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 401);
      return true;
    });
    await target.close();
  });

  it('carries 5xx statuses with the upstream_error code', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('503 json')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 503);
      assert.equal((error as GatewayError).code, 'upstream_error');
      return true;
    });
    await target.close();
  });

  it('carries 401 and 400 from the standalone GET stream', async () => {
    const target = upstream();
    await assert.rejects(target.listen(call('401 text')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 401);
      return true;
    });
    await assert.rejects(target.listen({ ...call('400 json'), sessionId: 's1' }), (error) => {
      assert.equal(upstreamStatusOf(error), 400);
      return true;
    });
    await target.close();
  });

  it('gives no status for failures that are not answers', async () => {
    assert.equal(
      upstreamStatusOf(new GatewayError('upstream_error', 'answered HTTP 401')),
      undefined,
    );
    assert.equal(upstreamStatusOf(new Error('HTTP 401')), undefined);
    const target = createStreamableHttpUpstream(
      'acme/linear',
      'http://127.0.0.1:9/mcp',
      createAddressGuard(['*']),
    );
    await assert.rejects(target.post(ping, { timeoutMs: 2000 }), (error: unknown) => {
      assert.equal((error as GatewayError).code, 'upstream_unavailable');
      assert.equal(upstreamStatusOf(error), undefined);
      return true;
    });
    await target.close();
  });
});
