/**
 * Usage limits' current counts in a real browser: calls made with the SDK
 * client through the gateway show up as "used / limit" on the Usage limits
 * page, per limit and per member, with the reset; Refresh counts reads them
 * again; a member sees the shared count but not another member's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { browserAvailability, signIn, startDashboardBrowser } from '../support/dashboard.ts';
import type { DashboardBrowser } from '../support/dashboard.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';

const OWNER = { email: 'owner@acme.test', password: 'a long enough password' };
const MEMBER = { email: 'bob@acme.test', password: 'bob has a long password' };
const availability = browserAvailability();

describe('dashboard usage limits', { skip: availability.ok ? false : availability.reason }, () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let browser: DashboardBrowser;
  let client: Client;
  const calls = async (n: number) => {
    for (let i = 0; i < n; i++) await client.callTool({ name: 'test_simple_text', arguments: {} });
  };

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [
        { ...OWNER, role: 'owner' },
        { ...MEMBER, role: 'member' },
      ],
      // Day windows: a run never straddles a reset except at midnight UTC.
      limits: [
        { name: 'all-calls', method: 'tools/call', period: 'day', limit: 100 },
        { name: 'per-member', group_by: ['member'], period: 'day', limit: 10 },
      ],
    });
    browser = await startDashboardBrowser(gateway.url);
    client = await connectClient(gateway, 'fixture');
  });
  after(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  it('shows N calls made with the SDK as N / limit, per member, and refreshes', async () => {
    await calls(4);
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = await signIn(page, OWNER, '/w/acme/limits');
    const row = (name: string) => page.getByRole('row').filter({ hasText: name }).first();
    await row('all-calls').getByText('4 / 100', { exact: true }).waitFor();
    assert.match((await row('all-calls').textContent()) ?? '', /resets at .*\(in .*\)/);
    await row('per-member').getByText('1 counter in use; fullest 4 / 10').waitFor();
    await page.getByText('Counters of per-member').click();
    // The counters' own table is nested in the rule's row: its row comes last.
    const counter = page.getByRole('row').filter({ hasText: 'admin@acme.test' }).last();
    await counter.getByText('4 / 10', { exact: true }).waitFor();
    assert.equal(await counter.getByRole('meter').getAttribute('value'), '4');

    await calls(2);
    await page.getByRole('button', { name: 'Refresh counts' }).click();
    await row('all-calls').getByText('6 / 100', { exact: true }).waitFor();
    await counter.getByText('6 / 10', { exact: true }).waitFor();
    assert.deepEqual(seen.errors, []);
    await context.close();
  });

  it("shows a member the workspace's count but not another member's", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, MEMBER, '/w/acme/limits');
    const row = (name: string) => page.getByRole('row').filter({ hasText: name }).first();
    await row('all-calls').getByText('6 / 100', { exact: true }).waitFor();
    await row('per-member').getByText('Not used in this window').waitFor();
    assert.equal(await page.getByText('admin@acme.test').count(), 0);
    await context.close();
  });
});
