/**
 * A `$BROWSER` for OAuth clients under test: a generated shell wrapper that
 * runs `oauth-browser-script.ts` with this process's Node and a settings file,
 * so a client that "opens the browser" gets the gateway's sign-in and consent
 * forms answered as a user would, and its loopback callback called.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserEvent, ScriptedBrowserSettings } from './oauth-browser-script.ts';

export type { BrowserEvent } from './oauth-browser-script.ts';

const SCRIPT = path.resolve(import.meta.dirname, 'oauth-browser-script.ts');

export interface ScriptedBrowser {
  /** Path of the executable to put in `BROWSER` (no spaces: xdg-open splits it on IFS). */
  command: string;
  /** The events every run of the browser logged, in order. */
  events(): Promise<BrowserEvent[]>;
  /** Ends any run still under way (the opener detaches it from the client). */
  kill(): Promise<void>;
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

async function isScriptRun(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(SCRIPT);
  } catch {
    return false;
  }
}

/** Writes the wrapper and its settings into `dir` (a fresh temporary directory). */
export async function createScriptedBrowser(
  dir: string,
  user: { email: string; password: string; approve: boolean },
): Promise<ScriptedBrowser> {
  if (/\s/.test(dir)) throw new Error(`a browser path must not contain spaces: ${dir}`);
  const logFile = path.join(dir, 'browser-events.jsonl');
  const settingsFile = path.join(dir, 'browser-settings.json');
  const settings: ScriptedBrowserSettings = { ...user, logFile };
  await writeFile(settingsFile, JSON.stringify(settings), { mode: 0o600 });
  await writeFile(logFile, '');
  const command = path.join(dir, 'browser');
  await writeFile(
    command,
    `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(SCRIPT)} ${quote(settingsFile)} "$1"\n`,
  );
  await chmod(command, 0o755);

  async function events(): Promise<BrowserEvent[]> {
    const text = await readFile(logFile, 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as BrowserEvent);
  }

  return {
    command,
    events,
    async kill() {
      const started = new Set<number>();
      const finished = new Set<number>();
      for (const entry of await events()) {
        started.add(entry.pid);
        if (entry.event === 'delivered' || entry.event === 'failed') finished.add(entry.pid);
      }
      for (const pid of started) {
        // Only a run that has not logged its end, and only while the PID is still this script.
        if (finished.has(pid) || !(await isScriptRun(pid))) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It ended meanwhile.
        }
      }
    },
  };
}

/** The environment for a client that should use `browser`: no display, so xdg-open uses `$BROWSER`. */
export function browserEnvironment(
  browser: ScriptedBrowser,
  base: NodeJS.ProcessEnv,
): Record<string, string> {
  const desktop =
    /^(DISPLAY|WAYLAND_DISPLAY|XDG_CURRENT_DESKTOP|XDG_SESSION_DESKTOP|DESKTOP_SESSION|KDE_FULL_SESSION|GNOME_DESKTOP_SESSION_ID)$/;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !desktop.test(name)) env[name] = value;
  }
  env.BROWSER = browser.command;
  return env;
}
