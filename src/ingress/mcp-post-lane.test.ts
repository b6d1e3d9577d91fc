/**
 * The POST lane answers exactly as Fastify would: every case is sent once
 * over a real socket (through the lane) and once through Fastify's inject
 * (which never reaches the lane), and the two answers must match.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { request as httpRequest } from 'undici';
import { createApp } from './create-app.ts';
import { createOriginGuard } from './origin-guard.ts';

const LIMIT = 1024;
const HOST = '127.0.0.1:8080';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the MCP POST lane', () => {
  const rejected: string[] = [];
  const app = createApp({
    logger: pino({ level: 'silent' }),
    bodyLimit: LIMIT,
    originGuard: createOriginGuard(`http://${HOST}`, ['https://app.example.com']),
    mcpHandler: async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : null;
      if (body === '"throw"') throw new Error('handler failed');
      // Fastify's reply has `request`; the lane's does not.
      const lane = !('request' in reply);
      reply
        .code(200)
        .header('mcp-session-id', 's-1')
        .type('application/json')
        .send(JSON.stringify({ lane, body, params: request.params, method: request.method }));
    },
    onMcpRejection: (_request, error, params) =>
      rejected.push(`${params.workspaceId}/${params.serverId} ${error.code}`),
    isReady: async () => true,
  });
  let origin = '';

  before(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  async function overSocket(
    path: string,
    headers: Record<string, string>,
    body?: string | Buffer,
    method: 'POST' | 'GET' = 'POST',
  ): Promise<Answer> {
    const response = await httpRequest(`${origin}${path}`, {
      method,
      headers: { host: HOST, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: await response.body.text(),
    };
  }

  async function throughFastify(
    path: string,
    headers: Record<string, string>,
    body?: string | Buffer,
    method: 'POST' | 'GET' = 'POST',
  ): Promise<Answer> {
    const response = await app.inject({
      method,
      url: path,
      headers: { host: HOST, ...headers },
      ...(body === undefined ? {} : { payload: body }),
    });
    return {
      status: response.statusCode,
      headers: response.headers as Answer['headers'],
      body: response.body,
    };
  }

  const json = { 'content-type': 'application/json' };
  const comparable = (answer: Answer) => ({
    status: answer.status,
    body: answer.body.replace('"lane":true', '"lane":false'),
    type: answer.headers['content-type'],
    session: answer.headers['mcp-session-id'],
    cors: answer.headers['access-control-allow-origin'],
    expose: answer.headers['access-control-expose-headers'],
    vary: answer.headers.vary,
    requestId: typeof answer.headers['x-request-id'],
  });

  async function same(
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    const lane = await overSocket(path, headers, body);
    assert.deepEqual(comparable(lane), comparable(await throughFastify(path, headers, body)));
    return lane;
  }

  it('serves a JSON POST to /<workspace>/<server>/mcp itself, as Fastify would', async () => {
    const answer = await same('/acme/github/mcp', json, '{"jsonrpc":"2.0"}');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), {
      lane: true,
      body: '{"jsonrpc":"2.0"}',
      params: { workspaceId: 'acme', serverId: 'github' },
      method: 'POST',
    });
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
  });

  it('adds CORS headers for an allowed browser origin', async () => {
    const answer = await same(
      '/acme/github/mcp',
      { ...json, origin: 'https://app.example.com' },
      '{}',
    );
    assert.equal(answer.headers['access-control-allow-origin'], 'https://app.example.com');
  });

  it('refuses a disallowed origin with a JSON-RPC error and records the rejection', async () => {
    rejected.length = 0;
    const answer = await same(
      '/acme/github/mcp',
      { ...json, origin: 'https://evil.example.com' },
      '{}',
    );
    assert.equal(answer.status, 403);
    assert.equal(JSON.parse(answer.body).id, null);
    assert.deepEqual(rejected, [
      'acme/github origin_not_allowed',
      'acme/github origin_not_allowed',
    ]);
  });

  it('refuses a body over the limit, by its length or as it streams, naming the limit', async () => {
    rejected.length = 0;
    const big = `"${'x'.repeat(LIMIT)}"`;
    const answer = await same('/acme/github/mcp', json, big);
    assert.equal(answer.status, 413);
    assert.match(JSON.parse(answer.body).error.message, new RegExp(`exceeds ${LIMIT} bytes`));
    assert.equal(answer.headers.connection, 'close');
    // Chunked: no content-length to refuse on, so the lane counts as it reads.
    const chunked = await overSocket(
      '/acme/github/mcp',
      json,
      (async function* () {
        yield Buffer.from(big.slice(0, 600));
        yield Buffer.from(big.slice(600));
      })() as never,
    );
    assert.equal(chunked.status, 413);
    assert.equal(rejected.length, 3);
  });

  it('answers a handler failure with a JSON-RPC internal error, as Fastify would', async () => {
    const answer = await same('/acme/github/mcp', json, '"throw"');
    assert.equal(answer.status, 500);
    assert.equal(JSON.parse(answer.body).error.code, -32603);
  });

  it('leaves other methods, types, encoded paths and queries to Fastify', async () => {
    const viaFastify = async (
      path: string,
      headers: Record<string, string>,
      method: 'POST' | 'GET' = 'POST',
    ) => {
      const answer = await overSocket(path, headers, method === 'POST' ? '{}' : undefined, method);
      assert.equal(JSON.parse(answer.body).lane, false, `${method} ${path}`);
    };
    await viaFastify('/acme/git%68ub/mcp', json);
    await viaFastify('/acme/github/mcp?x=1', json);
    await viaFastify('/acme/github/mcp', { 'content-type': 'text/plain' });
    await viaFastify('/acme/github/mcp', { accept: 'text/event-stream' }, 'GET');
    // Not an MCP path at all: Fastify's 404.
    assert.equal((await overSocket('/acme/github/other', json, '{}')).status, 404);
    assert.equal((await overSocket('/acme/mcp', json, '{}')).status, 404);
  });

  it('cannot be shadowed: the app refuses another POST route shaped like an MCP path', () => {
    const build = (url: string) =>
      createApp({
        logger: pino({ level: 'silent' }),
        bodyLimit: LIMIT,
        originGuard: createOriginGuard(`http://${HOST}`, []),
        mcpHandler: async () => undefined,
        isReady: async () => true,
        routeModules: [(instance) => void instance.post(url, async () => ({}))],
      });
    assert.throws(() => build('/oauth/x/mcp'), /shadowed by the MCP POST lane/);
    assert.throws(() => build('/oauth/x/:thing'), /shadowed by the MCP POST lane/);
    build('/oauth/x/token');
  });
});
