/**
 * The dashboard's frame in a real browser: a signed-out visit goes through the
 * sign-in page and back, the app runs under its CSP without a console error,
 * the navigation follows the role, and the phone layout folds the menu.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserAvailability, signIn, startDashboardBrowser } from '../support/dashboard.ts';
import type { DashboardBrowser } from '../support/dashboard.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const PASSWORD = 'a long enough password';
const availability = browserAvailability();

describe('dashboard frame', { skip: availability.ok ? false : availability.reason }, () => {
  let gateway: TestGateway;
  let browser: DashboardBrowser;
  before(async () => {
    gateway = await startTestGateway({
      servers: [],
      otherWorkspaces: ['beta'],
      users: [
        { email: 'owner@acme.test', password: PASSWORD, role: 'owner' },
        { email: 'viewer@acme.test', password: PASSWORD, role: 'viewer' },
      ],
    });
    browser = await startDashboardBrowser(gateway.url);
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('serves the app with a CSP that allows no inline script or style', async () => {
    const response = await fetch(`${gateway.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(await response.text(), /<div id="root"><\/div>/);
  });

  it('sends a signed-out visit through sign-in and back to the page asked for', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = await signIn(
      page,
      { email: 'owner@acme.test', password: PASSWORD },
      '/w/acme/logs',
    );
    assert.equal(new URL(page.url()).pathname, '/w/acme/logs');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Audit' }).waitFor();
    assert.equal(
      await nav.getByRole('link', { name: 'Logs' }).getAttribute('aria-current'),
      'page',
    );
    assert.deepEqual(seen.errors, []);
    await context.close();
  });

  it('switches workspace from the switcher and hides managers-only views from a viewer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, { email: 'viewer@acme.test', password: PASSWORD }, '/');
    await page.waitForURL(/\/w\/(acme|beta)\/servers$/);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'MCP Hub' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0);
    await page.getByLabel('Workspace').selectOption('beta');
    await page.waitForURL(/\/w\/beta\/servers$/);
    await context.close();
  });

  it('folds the navigation behind a menu button on a phone', async () => {
    const context = await browser.newContext({ phone: true });
    const page = await context.newPage();
    await signIn(page, { email: 'owner@acme.test', password: PASSWORD }, '/w/acme/servers');
    const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logs' });
    assert.equal(await link.isVisible(), false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await link.click();
    await page.waitForURL(/\/w\/acme\/logs$/);
    await context.close();
  });

  it('answers an unknown API path with JSON, not the app', async () => {
    const response = await fetch(`${gateway.url}/api/v1/nothing-here`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  });
});
