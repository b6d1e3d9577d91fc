/**
 * Hidden resources against URI spellings: an SDK upstream reads a resource
 * by `new URL(uri).toString()`, so `TEST://x`, ` test://x` and a tab inside
 * the URI all name `test://x`. A URI the policy hides, directly or through a
 * hidden resource template, must be refused under every spelling the
 * upstream would read as it, in both eras.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { Client } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';

const HIDDEN_RESOURCE = ['TEST://static-text', ' test://static-text', 'test://static\t-text'];
const HIDDEN_BY_TEMPLATE = ['Test://template/7/data', 'test://template/7/data\n'];

async function outcome(read: Promise<{ contents: unknown[] }>): Promise<string> {
  return read.then(
    (result) => `read ${JSON.stringify(result.contents)}`,
    (error: Error) => error.message,
  );
}

describe('hidden resources under other URI spellings', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    const response = await request(`${gateway.url}/api/v1/workspaces/acme/servers/fixture/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        resources: { 'test://static-text': { enabled: false } },
        resource_templates: { 'test://template/{id}/data': { enabled: false } },
      }),
    });
    assert.equal(response.statusCode, 200, await response.body.text());
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  for (const [era, mode] of [
    ['2025-11-25', 'legacy'],
    ['2026-07-28', { pin: '2026-07-28' }],
  ] as const) {
    it(`${era}: a hidden resource or template is refused under every spelling the upstream reads as it`, async () => {
      const client: Client = await connectClient(gateway, 'fixture', { mode });
      try {
        // The spellings do reach content when nothing hides them.
        assert.match(await outcome(client.readResource({ uri: 'TEST://static-binary' })), /^read /);
        for (const uri of [...HIDDEN_RESOURCE, ...HIDDEN_BY_TEMPLATE])
          assert.match(
            await outcome(client.readResource({ uri })),
            /not found/,
            `${JSON.stringify(uri)} reached the upstream`,
          );
      } finally {
        await client.close();
      }
    });

    it(`${era}: completing a hidden resource's URI is refused as for an absent one`, async () => {
      const client: Client = await connectClient(gateway, 'fixture', { mode });
      try {
        const complete = (uri: string) =>
          client
            .complete({ ref: { type: 'ref/resource', uri }, argument: { name: 'id', value: '' } })
            .then(
              () => 'completed',
              (error: Error & { code?: number }) =>
                `${error.code} ${error.message.replaceAll(uri, 'URI')}`,
            );
        assert.equal(await complete('test://static-binary'), 'completed');
        const absent = await complete('test://absent');
        assert.equal(await complete('test://static-text'), absent);
        assert.equal(await complete('test://template/{id}/data'), absent);
      } finally {
        await client.close();
      }
    });
  }
});
