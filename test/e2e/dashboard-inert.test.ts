/**
 * No upstream can script the dashboard (issue 8): an upstream whose tool
 * title, description, schema, result and error, prompt and resource all
 * carry markup is called through the gateway, then every view of the
 * dashboard is opened. After each, no hostile markup ran or became an
 * element, no CSP violation was reported, and where the strings belong
 * (capabilities, the log record's drawer) they show as literal text.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import type { Page } from 'playwright-core';
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
import { connectClient, resultText } from '../support/sdk-client.ts';

const PASSWORD = 'a long enough password';
const OWNER = { email: 'owner@acme.test', password: PASSWORD };
/** The part of HOSTILE_TEXT without quotes: it stays literal inside JSON too. */
const HOSTILE_SCRIPT = '<script>window.__portcullisPwned=2</script>';
const availability = browserAvailability();

/** A 2026-07-28 MCP server whose every string is hostile markup. */
function hostileServer(): McpServer {
  const server = new McpServer(
    { name: 'hostile', version: '1.0.0', title: HOSTILE_TEXT },
    { capabilities: { tools: {}, prompts: {}, resources: {} }, instructions: HOSTILE_TEXT },
  );
  server.registerTool(
    'hostile_tool',
    {
      title: HOSTILE_TEXT,
      description: HOSTILE_TEXT,
      inputSchema: fromJsonSchema<{ note?: string }>({
        type: 'object',
        properties: { note: { type: 'string', description: HOSTILE_TEXT } },
      }),
    },
    async () => ({ content: [{ type: 'text', text: HOSTILE_TEXT }] }),
  );
  server.registerTool('hostile_failure', { description: HOSTILE_TEXT }, async () => {
    throw new Error(HOSTILE_TEXT);
  });
  server.registerPrompt(
    'hostile_prompt',
    { title: HOSTILE_TEXT, description: HOSTILE_TEXT },
    async () => ({
      messages: [{ role: 'user', content: { type: 'text', text: HOSTILE_TEXT } }],
    }),
  );
  server.registerResource(
    HOSTILE_TEXT,
    'hostile://resource',
    { title: HOSTILE_TEXT, description: HOSTILE_TEXT, mimeType: 'text/html' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/html', text: HOSTILE_TEXT }] }),
  );
  return server;
}

async function startHostileUpstream(): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = createMcpHandler(hostileServer, { legacy: 'reject' });
  const serve = toNodeHandler(handler);
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      serve(req, res, text === '' ? undefined : JSON.parse(text)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe(
  'dashboard renders upstream strings inert',
  { skip: availability.ok ? false : availability.reason },
  () => {
    let upstream: { url: string; close: () => Promise<void> };
    let gateway: TestGateway;
    let browser: DashboardBrowser;
    let page: Page;
    let seen: { errors: string[] };

    /** Opens a view, lets it load, and checks nothing ran. */
    const visit = async (path: string) => {
      await page.goto(path);
      await page.locator('main h1, .content h1').first().waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      await page.waitForTimeout(200);
      await assertNothingRan(page);
    };

    before(async () => {
      upstream = await startHostileUpstream();
      gateway = await startTestGateway({
        servers: [{ id: 'hostile', url: upstream.url, capture: 'full' }],
        users: [{ ...OWNER, role: 'owner' }],
      });
      const client = await connectClient(gateway, 'hostile', { mode: 'auto' });
      try {
        const { tools } = await client.listTools();
        assert.equal(tools.find((tool) => tool.name === 'hostile_tool')?.description, HOSTILE_TEXT);
        const result = await client.callTool({
          name: 'hostile_tool',
          arguments: { note: HOSTILE_TEXT },
        });
        assert.equal(resultText(result), HOSTILE_TEXT);
        await client.callTool({ name: 'hostile_failure', arguments: {} }).catch(() => undefined);
        await client.getPrompt({ name: 'hostile_prompt' });
        await client.readResource({ uri: 'hostile://resource' });
      } finally {
        await client.close();
      }
      browser = await startDashboardBrowser(gateway.url);
      page = await (await browser.newContext()).newPage();
      seen = await signIn(page, OWNER, '/w/acme/servers');
    });
    after(async () => {
      await browser?.close();
      await gateway?.close();
      await upstream?.close();
    });

    it('shows hostile tool, prompt and resource strings as text on the capabilities tab', async () => {
      await visit('/w/acme/servers/hostile/capabilities');
      const tools = page.getByRole('region', { name: 'Tools' });
      await tools.getByText(HOSTILE_TEXT, { exact: true }).first().waitFor();
      for (const section of ['Resources', 'Prompts'])
        await page
          .getByRole('region', { name: section, exact: true })
          .getByText(HOSTILE_TEXT, { exact: true })
          .first()
          .waitFor();
      await page.getByRole('button', { name: 'Details of hostile_tool' }).click();
      await page.getByLabel('Description', { exact: true }).waitFor();
      await assertNothingRan(page);
      await screenshot(page, 'inert-capabilities');
    });

    it('shows the hostile call as text in the log record’s drawer', async () => {
      await visit('/w/acme/logs');
      const row = page.getByRole('row').filter({ hasText: 'hostile_tool' }).first();
      await row.waitFor();
      await row.getByRole('button').first().click();
      const drawer = page.getByRole('dialog');
      await drawer.waitFor();
      await drawer.getByText(HOSTILE_SCRIPT, { exact: false }).first().waitFor();
      await assertNothingRan(page);
    });

    for (const path of [
      '/w/acme/servers',
      '/w/acme/servers/hostile',
      '/w/acme/servers/hostile/overview',
      '/w/acme/servers/hostile/connect',
      '/w/acme/servers/hostile/security',
      '/w/acme/servers/hostile/access',
      '/w/acme/servers/hostile/edit',
      '/w/acme/analytics',
      '/w/acme/audit',
      '/w/acme/limits',
      '/w/acme/members',
      '/w/acme/connections',
      '/w/acme/api-keys',
      '/w/acme/apps',
      '/account',
      '/workspaces',
    ])
      it(`runs nothing on ${path}`, async () => {
        await visit(path);
      });

    it('reported no console error (a CSP violation is one) on any view', () => {
      assert.deepEqual(seen.errors, []);
    });
  },
);
