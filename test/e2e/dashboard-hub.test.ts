/**
 * The MCP Hub in a real browser, from an empty instance: first-run setup
 * creates the administrator and the first workspace; the administrator adds
 * an HTTP server (the fixture upstream) and a stdio server (the published
 * server-everything) through the form, tests the connection, copies the
 * server's URL, and an SDK client reaches the server at exactly that URL.
 * Editing a server keeps its stored secrets (header values, environment
 * values) unless the administrator replaces or removes them.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pino from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { startGateway } from '../../src/main.ts';
import type { Gateway } from '../../src/main.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import {
  assertNothingRan,
  browserAvailability,
  screenshot,
  startDashboardBrowser,
} from '../support/dashboard.ts';
import type { DashboardBrowser } from '../support/dashboard.ts';
import { watchConsole } from '../support/browser.ts';
import { startHeaderGate } from '../support/header-gate.ts';
import type { HeaderGate } from '../support/header-gate.ts';

const PASSWORD = 'a long enough password';
const UPSTREAM_TOKEN = `Bearer hub-${crypto.randomBytes(12).toString('hex')}`;
const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);
const availability = browserAvailability();

/** A gateway on an empty data dir; its start-up output (where the setup link is printed) kept. */
async function startEmptyGateway() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-hub-'));
  const output: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output.push(chunk.toString('utf8'));
      done();
    },
  });
  const env = {
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: '0',
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
    PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
  };
  const gateway: Gateway = await startGateway({
    config: parseRuntimeConfig(env),
    env,
    logger: pino({ level: 'warn' }, stream),
  });
  const setupLink = output
    .flatMap((line) => line.split('\n'))
    .map((line) => {
      try {
        return (JSON.parse(line) as { setup?: unknown }).setup;
      } catch {
        return undefined;
      }
    })
    .find((link): link is string => typeof link === 'string');
  return {
    gateway,
    setupLink,
    async close() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function fillServer(
  page: Page,
  server: { id: string; name: string; transport: 'HTTP' | 'stdio' },
) {
  await page.getByLabel('Id', { exact: true }).fill(server.id);
  await page.getByLabel('Display name (optional)').fill(server.name);
  await page.getByRole('radio', { name: new RegExp(`^${server.transport}`) }).check();
}

describe(
  'MCP Hub in the dashboard',
  { skip: availability.ok ? false : availability.reason },
  () => {
    let upstream: RunningFixtureServer;
    let gate: HeaderGate;
    let instance: Awaited<ReturnType<typeof startEmptyGateway>>;
    let browser: DashboardBrowser;
    let context: BrowserContext;
    let page: Page;
    let console_: ReturnType<typeof watchConsole>;

    before(async () => {
      upstream = await startFixtureServer({ era: 'dual' });
      gate = await startHeaderGate(upstream.url, 'authorization', UPSTREAM_TOKEN);
      instance = await startEmptyGateway();
      browser = await startDashboardBrowser(instance.gateway.url);
      context = await browser.newContext();
      page = await context.newPage();
      console_ = watchConsole(page);
    });
    after(async () => {
      await context?.close();
      await browser?.close();
      await instance?.close();
      await gate?.close();
      await upstream?.close();
    });

    it('sets up the first administrator and workspace and lands in the empty hub', async () => {
      assert.ok(instance.setupLink !== undefined, 'the gateway printed a setup link');
      await page.goto(instance.setupLink);
      await page.getByLabel('Email').fill('root@acme.test');
      await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
      await page.getByLabel('Repeat password').fill(PASSWORD);
      await page.getByLabel('Workspace id', { exact: false }).fill('acme');
      await page.getByLabel('Workspace name').fill('Acme');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.waitForURL(/\/w\/acme\/servers$/);
      await page.getByRole('heading', { name: 'No MCP servers here yet' }).waitFor();
      await page.getByRole('link', { name: 'Add your first server' }).click();
      await page.waitForURL(/\/w\/acme\/servers\/new$/);
    });

    it('shows the API’s refusal next to the field and saves nothing', async () => {
      await fillServer(page, { id: 'Not A Slug', name: 'Bad', transport: 'HTTP' });
      await page.getByLabel('URL', { exact: true }).fill(upstream.url);
      await page.getByRole('button', { name: 'Add server' }).click();
      await page.getByRole('alert').filter({ hasText: 'The server was not saved' }).waitFor();
      const id = page.getByLabel('Id', { exact: true });
      assert.equal(await id.getAttribute('aria-invalid'), 'true');
      assert.match((await page.locator('#server-id-errors').textContent()) ?? '', /lowercase/);
      const servers = await page.evaluate<unknown[]>(
        `fetch('/api/v1/workspaces/acme/servers').then((r) => r.json())`,
      );
      assert.deepEqual(servers, []);

      // An upstream that refuses connections: the test says so in the form.
      await page.getByLabel('Id', { exact: true }).fill('closed');
      await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:1/mcp');
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('alert').filter({ hasText: 'The test failed' }).waitFor();
      await page.getByLabel('URL', { exact: true }).fill(upstream.url);
    });

    it('tests and adds the HTTP server, whose copied URL an SDK client reaches', async () => {
      await fillServer(page, { id: 'fixture', name: 'Fixture', transport: 'HTTP' });
      await page.getByRole('button', { name: 'Test connection' }).click();
      const probe = page.locator('.hub-probe');
      await probe.getByText(/Connected to/).waitFor({ timeout: 20_000 });
      await probe.getByRole('cell', { name: 'test_simple_text', exact: true }).waitFor();
      await page.locator('#probe-heading').evaluate('(heading) => heading.scrollIntoView()');
      await screenshot(page, 'server-form');
      await page.getByRole('button', { name: 'Add server' }).click();
      await page.waitForURL(/\/w\/acme\/servers\/fixture$/);
      await page.getByRole('heading', { name: 'Fixture' }).waitFor();

      const endpoint = `${instance.gateway.url}/acme/fixture/mcp`;
      await page.getByRole('button', { name: `Copy URL: ${endpoint}` }).click();
      await page.getByText('Copied', { exact: true }).waitFor();
      const copied = await page.evaluate<string>('navigator.clipboard.readText()');
      assert.equal(copied, endpoint);

      // An API key through the gateway's API, with the browser session and its CSRF token.
      const key = await page.evaluate<string>(`(async () => {
      const me = await (await fetch('/api/v1/me')).json();
      const response = await fetch('/api/v1/workspaces/acme/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ name: 'hub-e2e' }),
      });
      return (await response.json()).key;
    })()`);
      const client = new Client({ name: 'hub-e2e', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(copied), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      try {
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'test_simple_text'));
      } finally {
        await client.close();
      }
    });

    it('adds the stdio server with its command and arguments, and lists both in the hub', async () => {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'MCP Hub' })
        .click();
      await page.getByRole('link', { name: 'Add server' }).click();
      await fillServer(page, { id: 'everything', name: 'Everything', transport: 'stdio' });
      await page.getByLabel('Command', { exact: true }).fill(process.execPath);
      await page.getByLabel('Arguments').fill(`${everything}\nstdio`);
      await page.getByRole('button', { name: 'Add variable' }).click();
      await page.getByLabel('Variable 1 name').fill('HUB_MODE');
      await page.getByLabel('Variable 1 value').fill('test');
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page
        .locator('.hub-probe')
        .getByRole('cell', { name: 'echo', exact: true })
        .waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Add server' }).click();
      await page.waitForURL(/\/w\/acme\/servers\/everything$/);
      await page.getByText('HUB_MODE').waitFor();

      await page.getByRole('link', { name: 'MCP Hub', exact: true }).first().click();
      await page.waitForURL(/\/w\/acme\/servers$/);
      const table = page.getByRole('table', { name: 'MCP servers' });
      await table.getByRole('link', { name: 'Fixture' }).waitFor();
      await table.getByRole('link', { name: 'Everything' }).waitFor();
      await table.getByText('stdio', { exact: true }).waitFor();
      // The SDK client's calls reach the records through a background writer: wait for them.
      for (let attempt = 0; (await table.getByText('Healthy').count()) === 0; attempt += 1) {
        assert.ok(attempt < 20, 'the fixture shows as healthy once its calls are recorded');
        await new Promise((resolve) => setTimeout(resolve, 250));
        await page.reload();
        await table.getByRole('link', { name: 'Fixture' }).waitFor();
      }
      await screenshot(page, 'hub');
    });

    it('edits a server, keeping its stored environment value, and deletes one after confirming', async () => {
      await page.goto('/w/acme/servers/everything');
      await page.getByRole('link', { name: 'Edit' }).click();
      await page.waitForURL(/\/servers\/everything\/edit$/);
      assert.equal(await page.getByLabel('Id', { exact: true }).inputValue(), 'everything');
      assert.equal(await page.getByLabel('Variable 1 name').inputValue(), 'HUB_MODE');
      // The stored value is never shown: its input stays empty and says it is kept.
      const value = page.getByLabel('Variable 1 value');
      assert.equal(await value.inputValue(), '');
      assert.match(
        (await page.locator('#env-0-stored').textContent()) ?? '',
        /Stored — leave as is or replace/,
      );
      await page.getByLabel('Timeout in milliseconds (optional)').fill('20000');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForURL(/\/servers\/everything$/);
      await page.getByText('20000 ms').waitFor();
      await page.getByText('HUB_MODE').waitFor();

      await page.getByRole('button', { name: 'Delete Everything' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete Everything?' });
      await dialog.getByRole('button', { name: 'Delete server' }).click();
      await page.waitForURL(/\/w\/acme\/servers$/);
      const table = page.getByRole('table', { name: 'MCP servers' });
      await table.getByRole('link', { name: 'Fixture' }).waitFor();
      assert.equal(await table.getByRole('link', { name: 'Everything' }).count(), 0);
    });

    it('edits a server with a stored header secret, changing only its name and timeout, and the secret still reaches the upstream', async () => {
      await page.goto('/w/acme/servers/new');
      await fillServer(page, { id: 'guarded', name: 'Guarded', transport: 'HTTP' });
      await page.getByLabel('URL', { exact: true }).fill(gate.url);
      await page
        .getByLabel('How the gateway signs in to this server')
        .selectOption({ label: 'Static headers (an API key or token)' });
      await page.getByRole('button', { name: 'Add header' }).click();
      await page.getByLabel('Header 1 name').fill('Authorization');
      await page.getByLabel('Header 1 value').fill(UPSTREAM_TOKEN);
      await page.getByRole('button', { name: 'Add server' }).click();
      await page.waitForURL(/\/w\/acme\/servers\/guarded$/);

      await page.getByRole('link', { name: 'Edit' }).click();
      await page.waitForURL(/\/servers\/guarded\/edit$/);
      assert.equal(await page.getByLabel('Header 1 name').inputValue(), 'Authorization');
      assert.equal(await page.getByLabel('Header 1 value').inputValue(), '');
      await page.locator('#header-0-stored').getByText('Stored — leave as is or replace').waitFor();
      await page.getByLabel('Display name (optional)').fill('Guarded upstream');
      await page.getByLabel('Timeout in milliseconds (optional)').fill('15000');
      // Testing the edited definition uses the stored value too: the gate lets it through.
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page
        .locator('.hub-probe')
        .getByText(/Connected to/)
        .waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForURL(/\/servers\/guarded$/);
      await page.getByRole('heading', { name: 'Guarded upstream' }).waitFor();
      await page.getByText('15000 ms').waitFor();

      const key = await page.evaluate<string>(`(async () => {
      const me = await (await fetch('/api/v1/me')).json();
      const response = await fetch('/api/v1/workspaces/acme/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ name: 'hub-e2e-guarded' }),
      });
      return (await response.json()).key;
    })()`);
      const from = gate.seen.length;
      const client = new Client({ name: 'hub-e2e', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${instance.gateway.url}/acme/guarded/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      try {
        const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
        assert.equal(result.isError, undefined);
      } finally {
        await client.close();
      }
      const seen = gate.seen.slice(from);
      assert.ok(seen.length >= 1, 'the call reached the upstream');
      for (const headers of seen) assert.equal(headers.authorization, UPSTREAM_TOKEN);
    });

    it('gives each client its snippet with the exact URL, on a laptop and a phone', async () => {
      const endpoint = `${instance.gateway.url}/acme/fixture/mcp`;
      await page.goto('/w/acme/servers/fixture/connect');
      const tabs = page.getByRole('navigation', { name: 'Server views' });
      assert.equal(
        await tabs.getByRole('link', { name: 'Connect' }).getAttribute('aria-current'),
        'page',
      );
      await page.getByRole('heading', { name: 'Cursor' }).waitFor();
      await page.getByRole('button', { name: /^Copy Cursor setting:/ }).click();
      const cursor = JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()')) as {
        mcpServers: Record<string, { url: string }>;
      };
      assert.deepEqual(cursor, { mcpServers: { fixture: { url: endpoint } } });
      await page.getByRole('button', { name: /^Copy Claude Code setting:/ }).click();
      assert.equal(
        await page.evaluate<string>('navigator.clipboard.readText()'),
        `claude mcp add --transport http fixture ${endpoint}`,
      );
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, 'server-connect');
      await assertNothingRan(page);

      const phone = await browser.newContext({ phone: true });
      try {
        await phone.addCookies(await context.cookies());
        const small = await phone.newPage();
        await small.goto('/w/acme/servers/fixture/connect');
        const copy = small.getByRole('button', { name: /^Copy VS Code setting:/ });
        await copy.waitFor();
        assert.ok(await copy.isVisible());
        const overflow = await small.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      } finally {
        await phone.close();
      }
      // The refused save above is the only failed request.
      assert.deepEqual(
        console_.errors.filter(
          (text) =>
            !text.startsWith(
              'Failed to load resource: the server responded with a status of 400',
            ) && !text.endsWith('/favicon.ico)'),
        ),
        [],
      );
    });
  },
);
