/**
 * Dynamic client registration with oversized metadata: nothing a real MCP
 * client sends comes near the limits, and the name is shown on the consent
 * page, so an oversized request is refused whole (RFC 7591 §3.2.2,
 * `invalid_client_metadata`) and registers nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { discoverAuthorizationServer } from '../support/oauth-client.ts';
import type { RawAuthorizationServer } from '../support/oauth-client.ts';

const REDIRECT_URI = 'http://127.0.0.1:47321/callback';

describe('hostile dynamic client registration', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let as: RawAuthorizationServer;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    as = await discoverAuthorizationServer(gateway.url);
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const oversized: [string, Record<string, unknown>][] = [
    ['a client_name of 100,000 characters', { client_name: 'x'.repeat(100_000) }],
    [
      'ten thousand contacts',
      { contacts: Array.from({ length: 10_000 }, (_, i) => `a${i}@b.example`) },
    ],
    ['a 64 KiB unknown field', { software_statement_extra: 'y'.repeat(64 * 1024) }],
  ];
  for (const [label, metadata] of oversized) {
    it(`refuses ${label} with invalid_client_metadata and registers nothing`, async () => {
      const answer = await as.register({
        client_name: `oversized ${crypto.randomUUID()}`,
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        ...metadata,
      });
      assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 200));
      assert.equal(answer.body.error, 'invalid_client_metadata');
      assert.equal(answer.body.client_id, undefined);
    });
  }

  it('registers a client whose name has 200 characters', async () => {
    const answer = await as.register({
      client_name: `${crypto.randomUUID()} ${'n'.repeat(163)}`,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  });
});
