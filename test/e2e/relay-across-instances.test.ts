/**
 * Two gateway instances on one database and one Redis, no load balancer:
 * each request goes to the instance the test picks, as a round-robin
 * balancer without stickiness would send it. What one instance started
 * (an upstream stream waiting for the client's answer, a stdio process, a
 * held bridged call, a stream to resume) is finished through the other.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { parseSse } from '../../src/upstream/sse-parser.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway, TestServer } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import { startTestRedis } from '../support/redis.ts';
import type { TestRedis } from '../support/redis.ts';

const fixture = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));

interface Message {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown> & { content?: Array<{ text?: string }> };
  error?: { code: number; message: string };
}

interface Streamed {
  status: number;
  messages: Message[];
  eventIds: string[];
}

/** POSTs (or GETs) and reads the SSE answer event by event, letting `onMessage` act mid-stream. */
async function stream(
  url: string,
  options: { method?: 'POST' | 'GET'; body?: unknown; headers: Record<string, string> },
  onMessage: (message: Message) => Promise<void> = () => Promise.resolve(),
): Promise<Streamed> {
  const response = await request(url, {
    method: options.method ?? 'POST',
    headers: {
      accept: 'application/json, text/event-stream',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const out: Streamed = { status: response.statusCode, messages: [], eventIds: [] };
  if (!String(response.headers['content-type']).startsWith('text/event-stream')) {
    const text = await response.body.text();
    if (text) out.messages.push(JSON.parse(text) as Message);
    return out;
  }
  for await (const event of parseSse(response.body as AsyncIterable<Buffer>)) {
    if (event.id) out.eventIds.push(event.id);
    if (!event.data) continue;
    const message = JSON.parse(event.data) as Message;
    out.messages.push(message);
    await onMessage(message);
  }
  return out;
}

const textOf = (message: Message | undefined): string =>
  (message?.result?.content ?? []).map((part) => part.text ?? '').join('');

describe('two instances: what one starts, the other finishes', () => {
  let redis: TestRedis;
  let upstream: RunningFixtureServer;
  let legacyOnly: RunningFixtureServer;
  let modernOnly: RunningFixtureServer;
  let dataDir: string;
  let a: TestGateway;
  let b: TestGateway;
  const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
  const auth = { authorization: `Bearer ${apiKey}` };

  before(async () => {
    redis = await startTestRedis();
    upstream = await startFixtureServer({ era: 'dual' });
    legacyOnly = await startFixtureServer({ era: 'legacy' });
    modernOnly = await startFixtureServer({ era: 'modern' });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-relay-'));
    const servers: TestServer[] = [
      { id: 'http', url: upstream.url },
      { id: 'legacy', url: legacyOnly.url },
      { id: 'modern', url: modernOnly.url },
      {
        id: 'stdio',
        transport: 'stdio',
        command: process.execPath,
        args: [fixture, '--stdio', '--era', 'legacy'],
      },
    ];
    const env = {
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
      PORTCULLIS_REDIS_URL: redis.url,
      // A lost answer fails the call in seconds rather than hanging the test.
      PORTCULLIS_CLIENT_REQUEST_TIMEOUT_MS: '5000',
      TEST_API_KEY: apiKey,
    };
    // One after the other: the second finds the database migrated and the configuration applied.
    a = await startTestGateway({ servers, env });
    b = await startTestGateway({ servers, env });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    await legacyOnly?.close();
    await modernOnly?.close();
    await redis?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A 2025-11-25 session opened on `on`, able to answer elicitations. */
  async function openSession(server: string, on: TestGateway): Promise<Record<string, string>> {
    const init = await mcpPost(on.endpoint(server), initializeBody(1, { elicitation: {} }), auth);
    assert.equal(init.status, 200);
    const headers = {
      ...auth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    const initialized = await mcpPost(
      on.endpoint(server),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    assert.equal(initialized.status, 202);
    return headers;
  }

  for (const server of ['http', 'stdio', 'modern']) {
    it(`delivers an elicitation asked on one instance and answered on the other (${server} upstream)`, async () => {
      const headers = await openSession(server, a);
      const answers: number[] = [];
      const call = await stream(
        a.endpoint(server),
        {
          body: {
            jsonrpc: '2.0',
            id: 7,
            method: 'tools/call',
            params: { name: 'test_elicitation', arguments: { message: 'who are you?' } },
          },
          headers,
        },
        async (message) => {
          if (message.method !== 'elicitation/create') return;
          const answer = await mcpPost(
            b.endpoint(server),
            {
              jsonrpc: '2.0',
              id: message.id,
              result: { action: 'accept', content: { username: 'ada', email: 'ada@acme.test' } },
            },
            headers,
          );
          answers.push(answer.status);
        },
      );
      assert.deepEqual(answers, [202], 'the other instance accepted the answer');
      const final = call.messages.at(-1);
      assert.equal(final?.id, 7);
      assert.match(textOf(final), /action=accept/);
      assert.match(textOf(final), /ada@acme\.test/);
    });
  }

  it('accepts and drops an answer to a request nobody asked, on either instance', async () => {
    const headers = await openSession('http', a);
    const stray = await mcpPost(
      b.endpoint('http'),
      { jsonrpc: '2.0', id: 'pc-s2c.s:never-asked', result: { action: 'decline' } },
      headers,
    );
    assert.equal(stray.status, 202);
  });

  for (const server of ['legacy', 'stdio']) {
    it(`continues a bridged 2026-07-28 call on the other instance than the one holding it (${server} upstream)`, async () => {
      const capabilities = { elicitation: {} };
      const first = modernRequest(1, 'tools/call', {
        name: 'test_elicitation',
        arguments: { message: 'who are you?' },
      });
      first.body.params._meta['io.modelcontextprotocol/clientCapabilities'] = capabilities;
      const round = await mcpPost(a.endpoint(server), first.body, { ...auth, ...first.headers });
      const result = (round.json as Message).result!;
      assert.equal(result.resultType, 'input_required', JSON.stringify(round.json));
      const [key] = Object.keys(result.inputRequests as Record<string, unknown>);
      assert.ok(key);

      const retry = modernRequest(2, 'tools/call', {
        name: 'test_elicitation',
        arguments: { message: 'who are you?' },
        requestState: result.requestState,
        inputResponses: {
          [key]: { action: 'accept', content: { username: 'ada', email: 'ada@acme.test' } },
        },
      });
      retry.body.params._meta['io.modelcontextprotocol/clientCapabilities'] = capabilities;
      const done = await mcpPost(b.endpoint(server), retry.body, { ...auth, ...retry.headers });
      const final = done.json as Message;
      assert.equal(final.id, 2);
      assert.equal(final.result?.resultType, 'complete', JSON.stringify(final));
      assert.match(textOf(final), /ada@acme\.test/);

      // The state was used: a second retry of the same round, on either instance, is refused.
      for (const on of [a, b]) {
        const again = await mcpPost(on.endpoint(server), retry.body, {
          ...auth,
          ...retry.headers,
        });
        assert.equal((again.json as Message).error?.code, -32602);
      }
    });
  }

  it('plays a two-round bridged call with each round on another instance', async () => {
    const capabilities = { elicitation: {} };
    const params = { name: 'test_input_required_result_multi_round', arguments: {} };
    let state: unknown;
    let asked: Record<string, unknown> = {};
    let final: Message | undefined;
    // Round 1 on A, its retry on B (played on A), the next retry on A again (held there).
    for (const [index, on] of [a, b, a].entries()) {
      const retry =
        index === 0
          ? {}
          : {
              requestState: state,
              inputResponses: Object.fromEntries(
                Object.keys(asked).map((key) => [
                  key,
                  { action: 'accept', content: { name: 'ada', color: 'teal' } },
                ]),
              ),
            };
      const { body, headers } = modernRequest(index + 1, 'tools/call', { ...params, ...retry });
      body.params._meta['io.modelcontextprotocol/clientCapabilities'] = capabilities;
      const answer = (await mcpPost(on.endpoint('legacy'), body, { ...auth, ...headers }))
        .json as Message;
      if (answer.result?.resultType !== 'input_required') {
        final = answer;
        break;
      }
      state = answer.result.requestState;
      asked = answer.result.inputRequests as Record<string, unknown>;
    }
    assert.equal(final?.id, 3, 'answered after the third request');
    assert.match(textOf(final), /Favorite color: teal/);
  });

  it('resumes with Last-Event-ID on the other instance a stream the upstream closed mid-call', async () => {
    const headers = await openSession('http', a);
    const call = await stream(a.endpoint('http'), {
      body: {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'test_reconnection', arguments: {} },
      },
      headers,
    });
    assert.equal(call.status, 200);
    assert.equal(
      call.messages.find((message) => message.id === 9),
      undefined,
      'the result did not come on the closed stream',
    );
    const lastEventId = call.eventIds.at(-1);
    assert.ok(lastEventId, 'the stream carried an event id to resume from');

    const resumed = await stream(b.endpoint('http'), {
      method: 'GET',
      headers: { ...headers, 'last-event-id': lastEventId },
    });
    assert.equal(resumed.status, 200);
    const final = resumed.messages.find((message) => message.id === 9);
    assert.ok(final, 'the result arrived on the resumed stream');
    assert.ok(textOf(final).length > 0);
  });
});
