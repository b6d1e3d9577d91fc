/**
 * A scripted "browser" for OAuth clients that open the system browser
 * (`xdg-open` honours `$BROWSER` when there is no display): it signs in and
 * answers the consent page through the gateway's real forms, then delivers
 * the final redirect to the client's loopback callback.
 *
 * Usage: node oauth-browser-script.ts <settings.json> <authorize-url>
 * Settings: { email, password, approve, logFile }. Every step is appended to
 * `logFile` as one JSON line, because the opener detaches this process from
 * the client and discards its output.
 *
 * It always exits 0: a non-zero exit makes the opener try the next browser,
 * which would run this script a second time.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { signInAndConsent } from './cookie-jar.ts';
import { deliverRedirect } from './deliver-redirect.ts';

export interface ScriptedBrowserSettings {
  email: string;
  password: string;
  approve: boolean;
  logFile: string;
}

/** One line of the log: `opened`, then `redirected` and `delivered`, or `failed`. */
export interface BrowserEvent {
  event: 'opened' | 'redirected' | 'delivered' | 'failed';
  pid: number;
  url?: string;
  status?: number;
  error?: string;
}

async function main(settingsFile: string, authorizeUrl: string): Promise<void> {
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as ScriptedBrowserSettings;
  const log = (entry: Omit<BrowserEvent, 'pid'>) =>
    appendFileSync(settings.logFile, `${JSON.stringify({ ...entry, pid: process.pid })}\n`);
  log({ event: 'opened', url: authorizeUrl });
  try {
    const redirect = await signInAndConsent(authorizeUrl, {
      email: settings.email,
      password: settings.password,
      approve: settings.approve,
    });
    log({ event: 'redirected', url: redirect });
    log({ event: 'delivered', url: redirect, status: await deliverRedirect(redirect) });
  } catch (error) {
    log({ event: 'failed', error: error instanceof Error ? error.stack : String(error) });
  }
}

const [settingsFile, authorizeUrl] = process.argv.slice(2);
if (settingsFile === undefined || authorizeUrl === undefined) {
  process.stderr.write('usage: oauth-browser-script.ts <settings.json> <authorize-url>\n');
} else {
  await main(settingsFile, authorizeUrl);
}
process.exit(0);
