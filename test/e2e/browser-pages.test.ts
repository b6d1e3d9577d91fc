/**
 * The sign-in pages in a real browser (Chromium): first-run setup, dashboard
 * sign-in, and an OAuth authorization from a loopback client through the
 * sign-in and consent pages back to the client, under the pages' CSP.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserAvailability, launchBrowser, watchConsole } from '../support/browser.ts';
import { buildAuthorizeUrl, registerClient } from '../support/cookie-jar.ts';
import { startPages } from '../support/pages-app.ts';
import type { PagesApp } from '../support/pages-app.ts';

const PASSWORD = 'a long enough password';

/** This slice has no dashboard or favicon: their 404s are expected, every other console error is not. */
function unexpected(errors: string[], url: string): string[] {
  return errors.filter(
    (text) =>
      !(
        text.startsWith('Failed to load resource: the server responded with a status of 404') &&
        [`${url}/`, `${url}/hub`, `${url}/favicon.ico`].some((expected) =>
          text.endsWith(`(${expected})`),
        )
      ),
  );
}
const availability = browserAvailability();

/** The client's loopback redirect endpoint (RFC 8252 §7.3): records what the browser brings back. */
async function startCallbackServer() {
  const received: URL[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    // The browser also asks this origin for /favicon.ico.
    if (url.pathname === '/callback') received.push(url);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function assertStyledWithoutScript(page: Page) {
  // The stylesheet applied (style-src 'self') and the page carries no script at all.
  // A string: this file is type-checked without the DOM library.
  const state = await page.evaluate<{ scripts: number; maxWidth: string }>(
    `({ scripts: document.scripts.length, maxWidth: getComputedStyle(document.querySelector('main')).maxWidth })`,
  );
  assert.equal(state.scripts, 0);
  assert.equal(state.maxWidth, '448px');
}

describe(
  'sign-in pages in Chromium',
  { skip: availability.ok ? false : availability.reason },
  () => {
    let app: PagesApp;
    let browser: Browser;
    before(async () => {
      app = await startPages([]);
      await app.store.workspaces.upsert({ id: 'acme', name: 'Acme' });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await app?.close();
    });

    it('sets up the first administrator, signs in, and authorizes a loopback client', async () => {
      const setupContext = await browser.newContext();
      const setupPage = await setupContext.newPage();
      const setupConsole = watchConsole(setupPage);
      await setupPage.goto(app.setup.link(app.url) ?? '');
      await assertStyledWithoutScript(setupPage);
      await setupPage.getByLabel('Email').fill('root@acme.test');
      await setupPage.getByLabel('Name (optional)').fill('Root');
      await setupPage.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
      await setupPage.getByLabel('Repeat password').fill(PASSWORD);
      await setupPage.getByLabel('Workspace id', { exact: false }).fill('acme');
      await setupPage.getByRole('button', { name: 'Create administrator' }).click();
      await setupPage.waitForURL(`${app.url}/`);
      const root = await app.store.users.findByEmail('root@acme.test');
      assert.equal(root?.isAdmin, true);
      assert.equal((await app.store.members.find('acme', root?.id ?? ''))?.role, 'owner');
      assert.deepEqual(unexpected(setupConsole.errors, app.url), []);
      await setupContext.close();

      // Dashboard sign-in in a fresh browser, keyboard only.
      const context = await browser.newContext();
      const page = await context.newPage();
      const seen = watchConsole(page);
      await page.goto(`${app.url}/login?next=/hub`);
      await assertStyledWithoutScript(page);
      await page.keyboard.type('root@acme.test');
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${app.url}/hub`);
      await context.close();

      // An OAuth authorization from a client registered by DCR with a loopback redirect.
      const callback = await startCallbackServer();
      try {
        const client = await registerClient(app.url, {
          redirectUri: callback.redirectUri,
          clientName: 'Loopback <Tool>',
        });
        const authorization = buildAuthorizeUrl(app.url, client, {
          resource: `${app.url}/acme/everything/mcp`,
        });
        const oauthContext = await browser.newContext();
        const oauthPage = await oauthContext.newPage();
        const oauthConsole = watchConsole(oauthPage);
        await oauthPage.goto(authorization.url);
        await oauthPage.getByText('Sign in to continue to Loopback <Tool>').waitFor();
        await assertStyledWithoutScript(oauthPage);
        await oauthPage.getByLabel('Email').fill('root@acme.test');
        await oauthPage.getByLabel('Password').fill(PASSWORD);
        await oauthPage.getByRole('button', { name: 'Sign in' }).click();
        await oauthPage
          .getByRole('heading', { name: 'Allow Loopback <Tool> to use your MCP servers?' })
          .waitFor();
        await assertStyledWithoutScript(oauthPage);
        assert.ok(await oauthPage.getByText('acme/everything').isVisible());
        await oauthPage.getByRole('button', { name: 'Allow' }).click();
        await oauthPage.waitForURL((url) => url.href.startsWith(callback.redirectUri));
        const returned = callback.received.at(-1);
        assert.ok(returned !== undefined, 'the client received the redirect');
        assert.ok((returned.searchParams.get('code') ?? '').length > 10, returned.href);
        assert.equal(returned.searchParams.get('state'), authorization.state);
        assert.equal(returned.searchParams.get('iss'), app.url);
        const cspViolations = oauthConsole.errors.filter((text) =>
          /Content Security Policy|Refused to/.test(text),
        );
        assert.deepEqual(cspViolations, []);
        assert.deepEqual(unexpected(oauthConsole.errors, app.url), []);
        assert.deepEqual(unexpected(seen.errors, app.url), []);
        await oauthContext.close();
      } finally {
        await callback.close();
      }
    });
  },
);
