/**
 * Runs the official MCP conformance suite's `authorization` command (0.2.0-alpha,
 * the `next` alias) against an authorization server. Its `authorization-code-grant`
 * scenario is interactive: it prints an authorize URL and waits for the redirect
 * on `http://127.0.0.1:<port>/callback`. The caller answers the URL (sign-in and
 * consent) and delivers the redirect; this module surfaces the URL and reads the
 * verdicts from the `checks.json` file the suite writes per scenario.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceCheck } from './conformance.ts';
// Kept for callers that import it from here; the helper lives in free-port.ts.

const CLI = fileURLToPath(import.meta.resolve('conformance-next/dist/index.js'));
/** `authorization-server-<scenario>-<ISO timestamp with : and . replaced>` */
const resultDirPattern = /^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
/** The line the code-grant scenario prints for the user to open. */
const authorizeLinePattern = /^(https?:\/\/\S*[?&]response_type=code\S*)$/m;

export interface AuthorizationConformanceOptions {
  /** The issuer; the suite derives the metadata URLs from it. */
  issuer: string;
  /** A client registered with redirect URI `http://127.0.0.1:<port>/callback`. */
  clientId: string;
  clientSecret?: string;
  /** RFC 8707 resource sent on the authorize and token requests. */
  resource?: string;
  /** Port of the suite's callback listener. */
  port: number;
  /** A fresh run directory is created inside it. */
  outDir: string;
  timeoutMs?: number;
}

export interface AuthorizationConformanceResult {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Checks per scenario, from its `checks.json`. */
  scenarios: Record<string, ConformanceCheck[]>;
}

export interface AuthorizationConformanceRun {
  /** The authorize URL the suite printed; rejects when the suite exits without printing one. */
  authorizeUrl: Promise<string>;
  result: Promise<AuthorizationConformanceResult>;
  /** Stops the suite (its PID only). */
  kill(): void;
}

async function readChecks(runDir: string): Promise<Record<string, ConformanceCheck[]>> {
  const scenarios: Record<string, ConformanceCheck[]> = {};
  for (const entry of await readdir(runDir, { withFileTypes: true })) {
    const scenario = entry.isDirectory() ? resultDirPattern.exec(entry.name)?.[1] : undefined;
    if (scenario === undefined) continue;
    try {
      const text = await readFile(join(runDir, entry.name, 'checks.json'), 'utf8');
      scenarios[scenario] = JSON.parse(text) as ConformanceCheck[];
    } catch {
      // No readable checks.json: the caller sees the scenario missing.
    }
  }
  return scenarios;
}

export async function startAuthorizationConformance(
  options: AuthorizationConformanceOptions,
): Promise<AuthorizationConformanceRun> {
  await mkdir(options.outDir, { recursive: true });
  const runDir = await mkdtemp(join(options.outDir, 'authorization-'));
  const args = [
    CLI,
    'authorization',
    '--url',
    options.issuer,
    '--client-id',
    options.clientId,
    '--port',
    String(options.port),
    '-o',
    runDir,
  ];
  if (options.clientSecret !== undefined) args.push('--client-secret', options.clientSecret);
  if (options.resource !== undefined) args.push('--resource', options.resource);

  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const kill = () => child.kill('SIGKILL');
  // A test runner timeout must not leave the suite waiting on its callback port.
  process.once('exit', kill);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let foundUrl: (url: string) => void = () => undefined;
  let noUrl: (error: Error) => void = () => undefined;
  const authorizeUrl = new Promise<string>((resolve, reject) => {
    foundUrl = resolve;
    noUrl = reject;
  });
  // The caller may never await it (a run that fails before the grant).
  authorizeUrl.catch(() => undefined);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const match = authorizeLinePattern.exec(stdout);
    if (match !== null) foundUrl(match[1]!);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs ?? 60_000);

  const result = new Promise<AuthorizationConformanceResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      process.removeListener('exit', kill);
      noUrl(new Error(`the suite exited (${exitCode}) without an authorize URL:\n${stdout}`));
      readChecks(runDir).then(
        (scenarios) => resolve({ exitCode, timedOut, stdout, stderr, scenarios }),
        reject,
      );
    });
  });
  return { authorizeUrl, result, kill };
}

/** Every check that is not SUCCESS or INFO, one per line; empty when the run is clean. */
export function describeUnclean(scenarios: Record<string, ConformanceCheck[]>): string {
  return Object.entries(scenarios)
    .flatMap(([scenario, checks]) =>
      checks
        .filter((check) => check.status !== 'SUCCESS' && check.status !== 'INFO')
        .map((check) => `${scenario}/${check.id}: ${check.status} ${check.errorMessage ?? ''}`),
    )
    .join('\n');
}
