/**
 * Logs, Analytics and Audit in a real browser: a member's tool calls through
 * the gateway (some failing) appear in the owner's Logs with tool, member and
 * status, a call made while the page is open arrives by the live tail, the
 * drawer shows the full record, Analytics counts exactly those calls, and
 * Audit shows an administrative change with what it changed. A tool name
 * made of markup stays text everywhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { BrowserContext, Page } from 'playwright-core';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import {
  HOSTILE_TEXT,
  assertNothingRan,
  browserAvailability,
  screenshot,
  signIn,
  startDashboardBrowser,
} from '../support/dashboard.ts';
import type { DashboardBrowser } from '../support/dashboard.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const PASSWORD = 'a long enough password';
const OWNER = { email: 'owner@acme.test', password: PASSWORD };
const MEMBER = { email: 'ada@acme.test', password: PASSWORD };
const OK_CALLS = 5;
const FAILING_CALLS = 2;
const availability = browserAvailability();

interface RecordRow {
  method: string;
  target: string | null;
  status: string;
}

describe(
  'dashboard logs, analytics and audit',
  { skip: availability.ok ? false : availability.reason },
  () => {
    let upstream: RunningFixtureServer;
    let gateway: TestGateway;
    let browser: DashboardBrowser;
    let owner: BrowserContext;
    let page: Page;
    let client: Client;

    async function adminApi(path: string, init: RequestInit = {}): Promise<unknown> {
      const response = await fetch(`${gateway.url}/api/v1${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${gateway.apiKey}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });
      assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
      return response.json();
    }

    /** Records are written in batches off the hot path: waits until `done` holds for them. */
    async function waitForRecords(done: (records: RecordRow[]) => boolean): Promise<RecordRow[]> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { records } = (await adminApi('/workspaces/acme/records?limit=1000')) as {
          records: RecordRow[];
        };
        if (done(records)) return records;
        if (Date.now() > deadline) assert.fail(`records never arrived: ${JSON.stringify(records)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    const toolCalls = (records: RecordRow[], tool: string) =>
      records.filter((r) => r.method === 'tools/call' && r.target === tool);

    before(async () => {
      upstream = await startFixtureServer({ era: 'dual' });
      gateway = await startTestGateway({
        servers: [{ id: 'fixture', url: upstream.url, capture: 'full' }],
        users: [
          { ...OWNER, role: 'owner' },
          { ...MEMBER, role: 'member' },
        ],
      });
      browser = await startDashboardBrowser(gateway.url);

      // The member creates an API key from their own browser session, as the API keys view does.
      const memberContext = await browser.newContext();
      const memberPage = await memberContext.newPage();
      await signIn(memberPage, MEMBER, '/w/acme/logs');
      const me = (await (await memberPage.request.get('/api/v1/me')).json()) as {
        csrfToken: string;
      };
      const created = await memberPage.request.post('/api/v1/workspaces/acme/api-keys', {
        headers: { 'x-csrf-token': me.csrfToken },
        data: { name: 'laptop', servers: null },
      });
      assert.equal(created.status(), 201);
      const { key } = (await created.json()) as { key: string };
      await memberContext.close();

      client = new Client({ name: 'e2e-member', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(gateway.endpoint('fixture')), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      for (let i = 0; i < OK_CALLS; i++)
        await client.callTool({ name: 'test_simple_text', arguments: {} });
      for (let i = 0; i < FAILING_CALLS; i++)
        await client.callTool({ name: 'no_such_tool', arguments: {} }).catch(() => undefined);
      await client.callTool({ name: HOSTILE_TEXT, arguments: {} }).catch(() => undefined);
      await waitForRecords(
        (records) =>
          toolCalls(records, 'test_simple_text').length === OK_CALLS &&
          toolCalls(records, 'no_such_tool').length === FAILING_CALLS &&
          toolCalls(records, HOSTILE_TEXT).length === 1,
      );

      owner = await browser.newContext();
      page = await owner.newPage();
    });
    after(async () => {
      await client?.close();
      await browser?.close();
      await gateway?.close();
      await upstream?.close();
    });

    it("shows the member's calls in Logs with tool, member and status, and tails a new one", async () => {
      const seen = await signIn(page, OWNER, '/w/acme/logs');
      const table = page.getByRole('table', { name: 'Request records, newest first' });
      await table.waitFor();
      const okRows = table.getByRole('row').filter({ hasText: 'test_simple_text' });
      const failedRows = table.getByRole('row').filter({ hasText: 'no_such_tool' });
      assert.equal(await okRows.count(), OK_CALLS);
      assert.equal(await failedRows.count(), FAILING_CALLS);
      for (const row of await failedRows.all()) {
        assert.match(await row.innerText(), /ada@acme\.test/);
        assert.match(await row.innerText(), /error/);
      }
      assert.match(await okRows.first().innerText(), /ada@acme\.test[\s\S]*ok/);
      await table.getByRole('row').filter({ hasText: HOSTILE_TEXT }).waitFor();
      await assertNothingRan(page);

      await page.getByLabel('Live tail').check();
      await page.getByText(/Polls every 2 s/).waitFor();
      await client.callTool({ name: 'test_image_content', arguments: {} });
      await table.getByRole('row').filter({ hasText: 'test_image_content' }).waitFor({
        timeout: 15_000,
      });
      await screenshot(page, 'logs');
      await page.getByLabel('Live tail').uncheck();
      assert.deepEqual(seen.errors, []);
    });

    it('filters by status through the URL, so the filtered view is a link', async () => {
      await page.getByLabel('Status').selectOption('error');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/status=error/);
      const table = page.getByRole('table', { name: 'Request records, newest first' });
      await table.getByRole('row').filter({ hasText: 'no_such_tool' }).first().waitFor();
      // Strings: this file is type-checked without the DOM library.
      await page.waitForFunction(
        `!document.body.innerText.includes('test_simple_text')`,
        undefined,
        {
          timeout: 5_000,
        },
      );
      const rows = await table.locator('tbody tr').count();
      assert.equal(rows, FAILING_CALLS + 1);
      const exportLink = page.getByRole('link', { name: 'Export CSV' });
      assert.match((await exportLink.getAttribute('href')) ?? '', /status=error.*format=csv/);
    });

    it('opens the full record in a drawer that Escape closes, returning focus', async () => {
      await page.goto('/w/acme/logs?tool=test_simple_text');
      const table = page.getByRole('table', { name: 'Request records, newest first' });
      const opener = table
        .getByRole('row')
        .filter({ hasText: 'test_simple_text' })
        .first()
        .getByRole('button');
      await opener.click();
      const drawer = page.getByRole('dialog', { name: 'Request record' });
      await drawer.getByRole('heading', { name: 'Result' }).waitFor();
      const text = await drawer.innerText();
      assert.match(text, /ada@acme\.test/);
      assert.match(text, /tools\/call/);
      assert.match(text, /This is a simple text response for testing\./);
      await screenshot(page, 'log-detail');
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });
      const focused = await opener.evaluate(
        (element) =>
          element ===
          (globalThis as unknown as { document: { activeElement: unknown } }).document
            .activeElement,
      );
      assert.equal(focused, true);
    });

    it('counts exactly those calls in Analytics, in the charts and their tables', async () => {
      const { records } = (await adminApi('/workspaces/acme/records?limit=1000')) as {
        records: RecordRow[];
      };
      const errors = records.filter((r) => r.status === 'error').length;
      await page.goto('/w/acme/analytics');
      await page.getByLabel('Time range').selectOption('1h');
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      await page.waitForURL(/range=1h/);
      const tools = page.getByRole('table', { name: 'Most called tools' });
      await tools.waitFor();
      const simple = await tools
        .getByRole('row')
        .filter({ hasText: 'test_simple_text' })
        .innerText();
      assert.match(simple, new RegExp(`^test_simple_text\\s+fixture\\s+${OK_CALLS}\\s+0\\s`));
      const failing = await tools.getByRole('row').filter({ hasText: 'no_such_tool' }).innerText();
      assert.match(
        failing,
        new RegExp(`^no_such_tool\\s+fixture\\s+${FAILING_CALLS}\\s+${FAILING_CALLS}\\s`),
      );
      const members = page.getByRole('table', { name: 'Members with the most requests' });
      assert.match(
        await members.getByRole('row').filter({ hasText: 'ada@acme.test' }).innerText(),
        new RegExp(`^ada@acme\\.test\\s+${records.length}\\s+${errors}\\s`),
      );
      const requestsFigure = page.getByRole('figure', { name: 'Requests', exact: true });
      await requestsFigure.getByRole('button', { name: 'Show as table' }).click();
      const series = page.getByRole('table', { name: /Requests: the minutes with requests/ });
      const total = await series.getByRole('row', { name: /Total/ }).innerText();
      assert.match(total, new RegExp(`Total\\s+${records.length}\\s+${errors}`, 'i'));
      const chart = page.getByRole('img', { name: /^Requests, per minute/ });
      assert.match(
        (await chart.getAttribute('aria-label')) ?? '',
        new RegExp(`${records.length} requests, ${errors} errors`),
      );
      await requestsFigure.getByRole('button', { name: 'Hide table' }).click();

      // Latency over time counts the same requests, bucket by bucket, with three percentiles each.
      const latency = (await adminApi(
        '/workspaces/acme/analytics/latency?bucket=minute&since=' +
          encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString()),
      )) as { series: { count: number; p50: number; p99: number }[] };
      assert.equal(
        latency.series.reduce((sum, b) => sum + b.count, 0),
        records.length,
      );
      const latencyFigure = page.getByRole('figure', { name: 'Latency', exact: true });
      await latencyFigure.getByRole('button', { name: 'Show as table' }).click();
      const latencyTable = page.getByRole('table', { name: /Latency: the minutes with requests/ });
      assert.match(
        await latencyTable.getByRole('row', { name: /Total/ }).innerText(),
        new RegExp(`^Total\\s+${records.length}\\s*$`, 'i'),
      );
      assert.equal(await latencyTable.locator('tbody tr').count(), latency.series.length);
      const firstRow = await latencyTable.locator('tbody tr').first().innerText();
      assert.match(firstRow, /^\S.*\s+\d+\s+[\d.]+ m?s\s+[\d.]+ m?s\s+[\d.]+ m?s$/);
      assert.match(
        (await latencyFigure.getByRole('img').getAttribute('aria-label')) ?? '',
        new RegExp(`^Latency, per minute, over ${records.length} requests: slowest minute`),
      );
      assert.equal(await latencyFigure.locator('svg path').count(), 3, 'one line per percentile');
      await latencyFigure.getByRole('button', { name: 'Hide table' }).click();
      await screenshot(page, 'analytics');
      await assertNothingRan(page);
    });

    it('shows an administrative change in Audit with what it changed', async () => {
      const members = (await adminApi('/workspaces/acme/members')) as {
        userId: string;
        email: string;
      }[];
      const ada = members.find((member) => member.email === MEMBER.email)!;
      await adminApi(`/workspaces/acme/members/${ada.userId}`, {
        method: 'PUT',
        body: JSON.stringify({ role: 'member', servers: ['fixture'] }),
      });
      await page.goto('/w/acme/audit');
      const table = page.getByRole('table', { name: 'Audit entries, newest first' });
      const row = table.getByRole('row').filter({ hasText: 'member.update' }).first();
      await row.waitFor();
      assert.match(await row.innerText(), /admin@acme\.test/);
      await row.getByRole('button').click();
      const drawer = page.getByRole('dialog', { name: /Audit entry/ });
      await drawer.getByRole('heading', { name: 'Changes' }).waitFor();
      const changes = drawer.getByRole('table', { name: 'Changed fields' });
      assert.match(await changes.innerText(), /serverIds\s+null\s+\["fixture"\]/);
      await screenshot(page, 'audit');
      await page.getByRole('button', { name: 'Close' }).click();
      await drawer.waitFor({ state: 'detached' });
    });

    it('fits a phone: no sideways scrolling of the page, the drawer across the screen', async () => {
      const phone = await browser.newContext({ phone: true });
      const small = await phone.newPage();
      await signIn(small, OWNER, '/w/acme/logs');
      const table = small.getByRole('table', { name: 'Request records, newest first' });
      await table.waitFor();
      const overflow = () =>
        small.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth');
      assert.equal(await overflow(), false);
      await table
        .getByRole('row')
        .filter({ hasText: 'no_such_tool' })
        .first()
        .getByRole('button')
        .click();
      const drawer = small.getByRole('dialog', { name: 'Request record' });
      await drawer.getByText('Tool no_such_tool not found').first().waitFor();
      const box = (await drawer.boundingBox())!;
      assert.ok(box.x <= 1 && box.width >= 388, JSON.stringify(box));
      await small.keyboard.press('Escape');
      await small.goto('/w/acme/analytics');
      await small.getByRole('table', { name: 'Most called tools' }).waitFor();
      assert.equal(await overflow(), false);
      await assertNothingRan(small);
      await phone.close();
      it('pages back with Older, 50 records a page, without repeating one', async () => {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            client.callTool({ name: 'test_simple_text', arguments: {} }),
          ),
        );
        const records = await waitForRecords(
          (all) => toolCalls(all, 'test_simple_text').length === OK_CALLS + 50,
        );
        await page.goto('/w/acme/logs');
        const rows = page
          .getByRole('table', { name: 'Request records, newest first' })
          .locator('tbody tr');
        await rows.nth(49).waitFor();
        assert.equal(await rows.count(), 50);
        await page.getByRole('button', { name: 'Older' }).click();
        await rows.nth(records.length - 1).waitFor();
        assert.equal(await rows.count(), records.length);
        assert.equal(await page.getByRole('button', { name: 'Older' }).count(), 0);
      });
    });
  },
);
