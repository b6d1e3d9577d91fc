/**
 * PostgreSQL restarting under a running gateway (failover, upgrade): calls
 * answer clearly while it is down, /readyz follows it, the gateway recovers
 * by itself, and the request records of calls answered meanwhile are stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { request } from 'undici';
import { createStore } from '../../src/store/create-store.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { modernRequest } from '../support/mcp-http.ts';
import {
  postgresUnavailableReason,
  startRestartablePostgres,
} from '../support/restartable-postgres.ts';
import type { RestartablePostgres } from '../support/restartable-postgres.ts';

const skip = postgresUnavailableReason();

interface Answer {
  status: number;
  text: string;
  ms: number;
  requestId: string;
}

async function call(gateway: TestGateway, id: string): Promise<Answer> {
  const start = Date.now();
  const message = modernRequest(id, 'tools/call', { name: 'test_simple_text', arguments: {} });
  const response = await request(gateway.endpoint('fixture'), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${gateway.apiKey}`,
      ...message.headers,
    },
    body: JSON.stringify(message.body),
    headersTimeout: 15_000,
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    text,
    ms: Date.now() - start,
    requestId: String(response.headers['x-request-id']),
  };
}

async function readyz(gateway: TestGateway): Promise<number> {
  const response = await request(`${gateway.url}/readyz`, { headersTimeout: 10_000 });
  await response.body.dump();
  return response.statusCode;
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('PostgreSQL restarting under a running gateway', { skip }, () => {
  let postgres: RestartablePostgres;
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    postgres = await startRestartablePostgres();
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      env: { PORTCULLIS_DATABASE_URL: postgres.url },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    await postgres?.close();
  });

  it('answers while the database is down, recovers by itself and stores every answered call', async () => {
    const answered: Answer[] = [];
    for (let i = 0; i < 5; i++) answered.push(await call(gateway, `before-${i}`));
    assert.ok(answered.every((a) => a.status === 200 && a.text.includes('"result"')));

    await postgres.down();
    assert.equal(await readyz(gateway), 503, '/readyz says not ready while the database is down');
    const during: Answer[] = [];
    for (let i = 0; i < 5; i++) during.push(await call(gateway, `during-${i}`));
    for (const answer of during) {
      assert.ok(answer.ms < 5_000, `answered in ${answer.ms} ms`);
      if (answer.status !== 200 || !answer.text.includes('"result"'))
        assert.match(
          answer.text,
          /"error"/,
          `a well-formed error: ${answer.status} ${answer.text}`,
        );
    }
    // Long enough for a record batch to be tried (flush interval 1 s) while the database is down.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await postgres.up();
    await eventually('/readyz says ready again', async () => (await readyz(gateway)) === 200);
    const afterwards: Answer[] = [];
    for (let i = 0; i < 5; i++) afterwards.push(await call(gateway, `after-${i}`));
    assert.ok(
      afterwards.every((a) => a.status === 200 && a.text.includes('"result"')),
      afterwards.map((a) => `${a.status} ${a.text}`).join('\n'),
    );

    const completed = [...answered, ...during, ...afterwards].filter(
      (a) => a.status === 200 && a.text.includes('"result"'),
    );
    await gateway.gateway.close();
    const store = await createStore({ kind: 'postgres', url: postgres.url });
    try {
      const stored = new Set(
        (await store.requestRecords.list({ workspaceId: 'acme', limit: 1_000 })).map((r) => r.id),
      );
      const missing = completed.filter((a) => !stored.has(a.requestId)).map((a) => a.requestId);
      assert.deepEqual(missing, [], 'a record for every answered call');
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL that holds a query (a lock taken by another session)', { skip }, () => {
  let postgres: RestartablePostgres;
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    postgres = await startRestartablePostgres();
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      env: {
        PORTCULLIS_DATABASE_URL: postgres.url,
        PORTCULLIS_DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    await postgres?.close();
  });

  it('answers an admin call with a clear retryable error instead of waiting forever', async () => {
    const locker = new pg.Client({ connectionString: postgres.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table api_keys in access exclusive mode');
      const start = Date.now();
      const response = await request(`${gateway.url}/api/v1/workspaces/acme/api-keys`, {
        headers: { authorization: `Bearer ${gateway.apiKey}` },
        headersTimeout: 15_000,
      });
      const text = await response.body.text();
      const ms = Date.now() - start;
      assert.ok(ms < 5_000, `answered after ${ms} ms`);
      assert.equal(response.statusCode, 503, text);
      assert.match(text, /"error":"store_unavailable"/);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }
    const again = await request(`${gateway.url}/api/v1/workspaces/acme/api-keys`, {
      headers: { authorization: `Bearer ${gateway.apiKey}` },
    });
    await again.body.dump();
    assert.equal(again.statusCode, 200, 'answers normally once the lock is gone');
  });
});
