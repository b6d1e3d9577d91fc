/**
 * Real-browser tests: playwright-core driving the system's Chromium (no
 * browser download). Under CI a missing Chromium is a failure, elsewhere the
 * caller skips with the reason.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export type BrowserAvailability = { ok: true } | { ok: false; reason: string };

export function browserAvailability(env: NodeJS.ProcessEnv = process.env): BrowserAvailability {
  if (existsSync(CHROMIUM_PATH)) return { ok: true };
  const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (env.CI !== undefined && env.CI !== '') throw new Error(`${reason}; required under CI`);
  return { ok: false, reason };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Containers and CI runners rarely allow Chromium's user-namespace sandbox.
    args: ['--no-sandbox'],
  });
}

/**
 * Collects console messages and page errors of `page`; CSP violations show
 * up here as "Refused to …" console errors.
 */
export function watchConsole(page: Page): { messages: string[]; errors: string[] } {
  const seen = { messages: [] as string[], errors: [] as string[] };
  page.on('console', (message: ConsoleMessage) => {
    seen.messages.push(`${message.type()}: ${message.text()}`);
    if (message.type() === 'error')
      seen.errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  return seen;
}
