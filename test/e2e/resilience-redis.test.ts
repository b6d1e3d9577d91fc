/**
 * Redis restarting under two running instances (one PostgreSQL, one Redis):
 * calls that need it fail clearly while it is gone, nothing crashes, and
 * everything recovers without a restart, including what an instance was
 * told while Redis was down (a session ended, a server added).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import { postgresUnavailableReason, startPostgres } from '../support/postgres.ts';
import type { RunningPostgres } from '../support/postgres.ts';
import { redisUnavailableReason, startTestRedis } from '../support/redis.ts';
import type { TestRedis } from '../support/redis.ts';

const LEGACY = '2025-11-25';
const skip = postgresUnavailableReason() ?? redisUnavailableReason();

async function eventually(what: string, check: () => Promise<boolean>, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Redis restarting under two instances', { skip }, () => {
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
    const limits = [{ name: 'calls', method: 'tools/call', period: 'hour', limit: 1_000 }];
    const servers = [{ id: 'fixture', url: upstream.url }];
    a = await startTestGateway({ servers, env, limits });
    b = await startTestGateway({ servers, env, limits });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await upstream?.close();
    await redis?.close();
    await postgres?.stop();
  });

  const call = async (gateway: TestGateway, id: string) => {
    const start = Date.now();
    const message = modernRequest(id, 'tools/call', { name: 'test_simple_text', arguments: {} });
    const answer = await mcpPost(gateway.endpoint('fixture'), message.body, {
      ...auth,
      ...message.headers,
    });
    return { ...answer, ms: Date.now() - start, body: JSON.stringify(answer.json) };
  };
  const used = async (gateway: TestGateway): Promise<number> => {
    const response = await request(
      `${gateway.url}/api/v1/workspaces/acme/usage-limits/calls/usage`,
      {
        headers: auth,
      },
    );
    const body = (await response.body.json()) as { counters: { used: number }[] };
    return body.counters[0]?.used ?? 0;
  };
  const readyz = async (gateway: TestGateway): Promise<number> => {
    const response = await request(`${gateway.url}/readyz`);
    await response.body.dump();
    return response.statusCode;
  };
  const openSession = async (gateway: TestGateway) => {
    const init = await mcpPost(gateway.endpoint('fixture'), initializeBody(1), auth);
    assert.equal(init.status, 200, init.text);
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': LEGACY,
    };
    await mcpPost(
      gateway.endpoint('fixture'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    return headers;
  };
  const listTools = (gateway: TestGateway, headers: Record<string, string>) =>
    mcpPost(gateway.endpoint('fixture'), { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers);

  it('limited calls fail closed while Redis is down; a session ended and a server added meanwhile reach the other instance once it is back', async () => {
    for (const gateway of [a, b]) {
      const answer = await call(gateway, 'before');
      assert.equal(answer.status, 200, answer.body);
      assert.match(answer.body, /"result"/);
    }
    assert.equal(await used(a), 2);
    const session = await openSession(a);
    assert.equal((await listTools(b, session)).status, 200, 'the session works on both');

    await redis.kill();
    for (const gateway of [a, b]) {
      for (let i = 0; i < 3; i++) {
        const answer = await call(gateway, `during-${i}`);
        assert.ok(answer.ms < 3_000, `answered in ${answer.ms} ms`);
        assert.match(answer.body, /"error"/, `${answer.status} ${answer.body}`);
        assert.match(answer.body, /shared_state_unavailable/, 'usage limits fail closed');
      }
      assert.equal(await readyz(gateway), 200, '/readyz follows the store only (docs/deploy.md)');
    }
    // Ended on A while Redis is down: refused on A at once.
    const ended = await request(a.endpoint('fixture'), { method: 'DELETE', headers: session });
    await ended.body.dump();
    assert.equal(ended.statusCode, 200);
    assert.equal((await listTools(a, session)).status, 404);
    // A server added through A while Redis is down (PostgreSQL is up): served by A.
    const created = await request(`${a.url}/api/v1/workspaces/acme/servers`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'added', name: 'Added', transport: 'http', url: upstream.url }),
    });
    assert.equal(created.statusCode, 201, await created.body.text());
    assert.equal((await mcpPost(a.endpoint('added'), initializeBody(1), auth)).status, 200);

    redis = await startTestRedis({ port: redis.port });
    for (const gateway of [a, b])
      await eventually('limited calls answer again', async () => {
        const answer = await call(gateway, 'after');
        return answer.status === 200 && answer.body.includes('"result"');
      });
    const counted = await used(b);
    assert.ok(counted >= 2, `calls count again in the new window state (${counted})`);
    assert.equal((await call(a, 'counted')).status, 200);
    assert.equal(await used(b), counted + 1, 'a call on A counts on B');

    await eventually('the session ended on A is refused on B', async () => {
      return (await listTools(b, session)).status === 404;
    });
    await eventually('the server added on A is served by B', async () => {
      return (await mcpPost(b.endpoint('added'), initializeBody(1), auth)).status === 200;
    });
  });
});
