/**
 * Two gateway instances on one PostgreSQL and one Redis
 * (PORTCULLIS_REDIS_URL), called directly: what one instance is told, the
 * other applies. A legacy session ended on one is refused on the other, a
 * server registered through one is served by the other, and clients of one
 * hear of a policy saved through the other. An unreachable Redis stops the start.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { isGatewayError } from '../../src/shared/errors.ts';
import { parseSse } from '../../src/upstream/sse-parser.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import { postgresUnavailableReason, startPostgres } from '../support/postgres.ts';
import type { RunningPostgres } from '../support/postgres.ts';
import { redisUnavailableReason, startTestRedis } from '../support/redis.ts';
import type { TestRedis } from '../support/redis.ts';

const LEGACY = '2025-11-25';
const unavailable = postgresUnavailableReason() ?? redisUnavailableReason();

describe('two instances sharing PostgreSQL and Redis', { skip: unavailable }, () => {
  let postgres: RunningPostgres;
  let redis: TestRedis;
  let upstream: RunningFixtureServer;
  let a: TestGateway;
  let b: TestGateway;
  const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
  const auth = { authorization: `Bearer ${apiKey}` };

  before(async () => {
    [postgres, redis, upstream] = await Promise.all([
      startPostgres(),
      startTestRedis(),
      startFixtureServer({ era: 'dual' }),
    ]);
    const env = {
      PORTCULLIS_DATABASE_URL: postgres.url,
      PORTCULLIS_REDIS_URL: redis.url,
      PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
      TEST_API_KEY: apiKey,
    };
    a = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }], env });
    b = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }], env });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await upstream?.close();
    await redis?.close();
    await postgres?.stop();
  });

  /** A legacy session opened on `gateway`; its headers for later requests. */
  async function openSession(gateway: TestGateway, server = 'fixture') {
    const init = await mcpPost(gateway.endpoint(server), initializeBody(1), auth);
    assert.equal(init.status, 200, init.text);
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': LEGACY,
    };
    await mcpPost(
      gateway.endpoint(server),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    return headers;
  }

  const listTools = (gateway: TestGateway, headers: Record<string, string>) =>
    mcpPost(gateway.endpoint('fixture'), { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers);

  it('a legacy session ended on one instance is refused on the other', async () => {
    const headers = await openSession(a);
    assert.equal((await listTools(b, headers)).status, 200, 'the session works on both');
    const ended = await request(a.endpoint('fixture'), { method: 'DELETE', headers });
    await ended.body.dump();
    assert.equal(ended.statusCode, 200);
    const refused = await listTools(b, headers);
    assert.equal(refused.status, 404, refused.text);
  });

  it('a server registered through one instance is served by the other within a second', async () => {
    const created = await request(`${a.url}/api/v1/workspaces/acme/servers`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'added', name: 'Added', transport: 'http', url: upstream.url }),
    });
    assert.equal(created.statusCode, 201, await created.body.text());
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 1_000) {
      status = (await mcpPost(b.endpoint('added'), initializeBody(1), auth)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(status, 200, 'served by the other instance within a second');
  });

  it('clients listening on one instance hear of a policy saved through the other', async () => {
    const headers = await openSession(b);
    const before = (await listTools(b, headers)).json as { result: { tools: unknown[] } };
    assert.ok(before.result.tools.length > 0);
    const stream = await request(b.endpoint('fixture'), {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream' },
    });
    assert.equal(stream.statusCode, 200);
    const heard = (async () => {
      for await (const event of parseSse(stream.body as AsyncIterable<Buffer>)) {
        if (event.data === '') continue;
        const message = JSON.parse(event.data) as { method?: string };
        if (message.method === 'notifications/tools/list_changed') return Date.now();
      }
      return undefined;
    })();
    // Let the stream's watcher register before the change.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const saved = Date.now();
    const put = await request(`${a.url}/api/v1/workspaces/acme/servers/fixture/policy`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'allowlist' }),
    });
    assert.equal(put.statusCode, 200, await put.body.text());
    const at = await Promise.race([
      heard,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1_000)),
    ]);
    stream.body.destroy();
    assert.ok(at !== undefined, 'list_changed within a second');
    assert.ok(at - saved < 1_000, `after ${at - saved} ms`);
    const after = (await listTools(b, headers)).json as { result: { tools: unknown[] } };
    assert.deepEqual(after.result.tools, [], 'and the other instance enforces it');
  });
});

describe('an instance whose Redis cannot be reached', { skip: redisUnavailableReason() }, () => {
  it('does not start, and names the Redis it could not reach', async () => {
    const gone = await startTestRedis();
    await gone.kill();
    await assert.rejects(
      startTestGateway({ servers: [], env: { PORTCULLIS_REDIS_URL: gone.url } }),
      (error: unknown) =>
        isGatewayError(error) &&
        error.code === 'shared_state_unavailable' &&
        error.message.includes(`127.0.0.1:${gone.port}`),
    );
  });
});
