/**
 * Hostile ids in paths. Fastify refuses a malformed percent-escape or an
 * over-long path parameter in its router, before any route or error
 * handler runs: those answers must still come from the one error
 * translator (a JSON-RPC error on MCP paths, the catalogue's JSON
 * elsewhere), and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startFaultServer } from '../fixtures/fault-server.ts';
import type { RunningFaultServer } from '../fixtures/fault-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

interface Answer {
  status: number;
  type: string;
  json: Record<string, unknown> | undefined;
  text: string;
}

describe('hostile ids in paths', () => {
  let upstream: RunningFaultServer;
  let gateway: TestGateway;

  const send = async (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: string,
  ): Promise<Answer> => {
    const response = await request(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${gateway.apiKey}`,
        accept: 'application/json, text/event-stream',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* asserted below */
    }
    return {
      status: response.statusCode,
      type: String(response.headers['content-type']),
      json,
      text,
    };
  };

  /** The catalogue's HTTP JSON error: `error` is a catalogue code, `message` says what is wrong. */
  function assertCatalogue(answer: Answer, status: number, code: string): void {
    assert.equal(answer.status, status, answer.text);
    assert.match(answer.type, /^application\/json/);
    assert.equal(answer.json?.error, code, answer.text);
    assert.equal(typeof answer.json?.message, 'string');
    assert.equal(answer.json?.code, undefined, `no framework code: ${answer.text}`);
  }

  /** A JSON-RPC error answer with the catalogue reason. */
  function assertRpc(answer: Answer, status: number, reason: string): void {
    assert.equal(answer.status, status, answer.text);
    assert.match(answer.type, /^application\/json/);
    assert.equal(answer.json?.jsonrpc, '2.0', answer.text);
    assert.equal(answer.json?.id, null);
    const error = answer.json?.error as { code?: number; data?: { reason?: string } } | undefined;
    assert.equal(typeof error?.code, 'number');
    assert.equal(error?.data?.reason, reason, answer.text);
  }

  before(async () => {
    upstream = await startFaultServer();
    gateway = await startTestGateway({ servers: [{ id: 'srv', url: upstream.url }] });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('a malformed percent-escape at the MCP endpoint gets a JSON-RPC 400, whatever the method', async () => {
    for (const path of ['/acme/%ZZ/mcp', '/%E0%A4%A/srv/mcp']) {
      assertRpc(await send('GET', path), 400, 'bad_request');
      assertRpc(await send('DELETE', path), 400, 'bad_request');
      const posted = await send('POST', path, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
      assertRpc(posted, 400, 'bad_request');
    }
  });

  it('a malformed percent-escape in an admin API path gets the catalogue 400', async () => {
    assertCatalogue(await send('GET', '/api/v1/workspaces/%ZZ/servers'), 400, 'bad_request');
    const created = await send(
      'POST',
      '/api/v1/workspaces/%ZZ/servers',
      '{"id":"x","name":"x","transport":"http","url":"http://127.0.0.1:9/mcp"}',
    );
    assertCatalogue(created, 400, 'bad_request');
  });

  it('an id longer than any id in an admin API or MCP path gets a catalogue answer, not the framework one', async () => {
    const long = 'x'.repeat(1024);
    assertCatalogue(await send('GET', `/api/v1/workspaces/${long}/servers`), 404, 'not_found');
    assertCatalogue(await send('GET', `/api/v1/workspaces/acme/servers/${long}`), 404, 'not_found');
    assertRpc(await send('GET', `/acme/${long}/mcp`), 404, 'not_found');
    assertRpc(await send('DELETE', `/${long}/srv/mcp`), 404, 'not_found');
  });

  it('changed nothing: the servers are as configured and the upstream was never called', async () => {
    const listed = await send('GET', '/api/v1/workspaces/acme/servers');
    assert.equal(listed.status, 200, listed.text);
    const servers = listed.json as unknown as Array<{ id: string }>;
    assert.deepEqual(
      servers.map((server) => server.id),
      ['srv'],
      listed.text,
    );
    assert.deepEqual(upstream.received, []);
  });
});
