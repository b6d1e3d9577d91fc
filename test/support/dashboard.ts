/**
 * The dashboard in a real browser: signing in through the gateway's own
 * sign-in page, screenshots for the docs, and proof that nothing an
 * upstream sent ran as script.
 *
 * Screenshots go to a temporary folder; with PORTCULLIS_UPDATE_SCREENSHOTS=1
 * they replace the ones committed under docs/screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, watchConsole } from './browser.ts';

export { browserAvailability } from './browser.ts';

export const SCREENSHOT_DIR =
  process.env.PORTCULLIS_UPDATE_SCREENSHOTS === '1'
    ? path.join(import.meta.dirname, '..', '..', 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'portcullis-screenshots');

/** Markup an upstream may put in a tool's name, description or result; none of it may run. */
export const HOSTILE_TEXT =
  '<img src=x onerror="window.__portcullisPwned=1"><script>window.__portcullisPwned=2</script>';

export interface DashboardBrowser {
  browser: Browser;
  /** A fresh browser profile (cookies, storage) at a laptop-sized viewport, clipboard allowed. */
  newContext(options?: { phone?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startDashboardBrowser(baseUrl: string): Promise<DashboardBrowser> {
  const browser = await launchBrowser();
  return {
    browser,
    async newContext(options = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport:
          options.phone === true ? { width: 390, height: 844 } : { width: 1366, height: 860 },
        ...(options.phone === true ? { isMobile: true, hasTouch: true } : {}),
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      return context;
    },
    close: () => browser.close(),
  };
}

/**
 * Opens `next` (a dashboard path) in `page`, signing in on the way: the
 * dashboard sends a signed-out browser to /login, which returns to `next`.
 * Returns a console watcher started once signed in (the signed-out visit's
 * 401 is expected); CSP violations appear among its errors.
 */
export async function signIn(
  page: Page,
  credentials: { email: string; password: string },
  next = '/',
): Promise<ReturnType<typeof watchConsole>> {
  await page.goto(next);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Email').fill(credentials.email);
  await page.getByLabel('Password').fill(credentials.password);
  const seen = watchConsole(page);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return seen;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Fails when any hostile markup ran, or when the page holds an element an upstream string made. */
export async function assertNothingRan(page: Page): Promise<void> {
  // Strings: these files are type-checked without the DOM library.
  const pwned = await page.evaluate<unknown>('window.__portcullisPwned');
  assert.equal(pwned, undefined, 'upstream markup ran as script');
  const injected = await page.evaluate<number>(
    `document.querySelectorAll('img[src="x"], script:not([src])').length`,
  );
  assert.equal(injected, 0, 'upstream markup became elements');
}
