/**
 * `__proto__` as a key in hostile input. `JSON.parse` keeps it as an own
 * property, but any later copy by assignment (`out[key] = value`, a zod
 * record) turns it into the copy's prototype: the key silently vanishes.
 * A policy rule would be dropped with a 200, and a request record would not
 * show an argument the upstream did receive. Both must not happen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody } from '../support/mcp-http.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
  text: string;
}

describe('__proto__ keys in hostile input', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let closed = false;

  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await request(url, {
      method,
      headers: {
        authorization: `Bearer ${gateway.apiKey}`,
        'content-type': 'application/json',
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* SSE or empty: callers look at text */
    }
    return { status: response.statusCode, headers: response.headers, json, text };
  };
  const api = (path: string) => `${gateway.url}/api/v1/workspaces/acme${path}`;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'plain', url: upstream.url },
        { id: 'full', url: upstream.url, capture: 'full' },
      ],
    });
  });
  after(async () => {
    if (!closed) await gateway?.close();
    await upstream?.close();
  });

  it('a policy document with a __proto__ key gets 400 naming it, and the policy is unchanged', async () => {
    const before = await call('GET', api('/servers/plain/policy'));
    assert.equal(before.status, 200, before.text);
    for (const document of [
      '{"tools":{"__proto__":{"enabled":false},"other":{"enabled":false}}}',
      '{"security":{"tools":{"__proto__":{"timeout_ms":5}}}}',
      '{"__proto__":{"mode":"closed"},"tools":{}}',
      // The same key behind a JSON escape.
      '{"tools":{"\\u005f_proto__":{"enabled":false}}}',
    ]) {
      const answer = await call('PUT', api('/servers/plain/policy'), document);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.error, 'bad_request');
      assert.match(String(answer.json.message), /__proto__/);
      const issues = answer.json.issues as Array<{ path: string }>;
      assert.ok(
        issues.some((issue) => issue.path.startsWith('body')),
        answer.text,
      );
    }
    const afterwards = await call('GET', api('/servers/plain/policy'));
    assert.deepEqual(afterwards.json, before.json);
  });

  it('an admin body with __proto__ nested anywhere gets 400 and creates nothing', async () => {
    const body =
      '{"id":"proto","name":"Proto","transport":"http","url":"http://127.0.0.1:9/mcp",' +
      '"upstream_auth":{"mode":"headers","headers":{"__proto__":{"value":"s3cret"},"x-team":{"value":"a"}}}}';
    const answer = await call('POST', api('/servers'), body);
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.json.error, 'bad_request');
    assert.match(String(answer.json.message), /__proto__/);
    const listed = await call('GET', api('/servers'));
    assert.ok(!listed.text.includes('"proto"'), listed.text);
  });

  it('an admin body nested 100,000 deep gets 400, escaped keys or not', async () => {
    const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    for (const name of ['"deep"', '"d\\u0065ep"']) {
      const body = `{"id":"deep","name":${name},"extra":${deep(100_000)}}`;
      const answer = await call('POST', `${gateway.url}/api/v1/workspaces`, body);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.error, 'bad_request');
    }
    const listed = await call('GET', `${gateway.url}/api/v1/workspaces`);
    assert.ok(!listed.text.includes('"deep"'), listed.text);
  });

  it('a captured tools/call keeps a __proto__ argument the upstream received', async () => {
    const mcp = gateway.endpoint('full');
    const accept = { accept: 'application/json, text/event-stream' };
    const opened = await call('POST', mcp, JSON.stringify(initializeBody(1)), accept);
    assert.equal(opened.status, 200, opened.text);
    const session = {
      ...accept,
      'mcp-session-id': String(opened.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal((await call('POST', mcp, initialized, session)).status, 202);
    const hidden =
      '{"jsonrpc":"2.0","id":"hidden","method":"tools/call","params":{"name":"test_simple_text",' +
      '"arguments":{"__proto__":{"command":"rm -rf /"},"visible":1}}}';
    const answer = await call('POST', mcp, hidden, session);
    assert.equal(answer.status, 200, answer.text);

    closed = true;
    const records = await gateway.closeAndReadRecords();
    const record = records.find((candidate) => candidate.method === 'tools/call');
    assert.ok(record?.arguments, JSON.stringify(records));
    assert.deepEqual(JSON.parse(record.arguments), {
      ['__proto__']: { command: 'rm -rf /' },
      visible: 1,
    });
    assert.ok(!Object.hasOwn(Object.prototype, 'command'), 'no prototype pollution');
  });
});
