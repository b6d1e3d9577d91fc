import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the official MCP conformance suite in server mode against a URL and reports each
 * scenario as passed or failed.
 *
 * Two pinned versions are installed under aliases: `stable` (0.1.16, the 2025-era scenarios) and
 * `next` (0.2.0-alpha, which adds the 2026-07-28 scenarios and frozen `--requirements` sets).
 *
 * Verdicts come from the `checks.json` file the suite writes per scenario, not from its exit
 * code or console output:
 * - a scenario with any FAILURE check has failed;
 * - WARNING checks are SHOULD-level findings (the suite's own summary does not count them as
 *   failures either). They are reported in `warnings` and do not fail the scenario unless
 *   `warningsFail` is set;
 * - a scenario the suite announced but for which no `checks.json` appeared (it crashed or hit
 *   its per-scenario timeout without writing one) has failed.
 */

export type ConformanceSuite = 'stable' | 'next';
export type ConformanceRequirements = '2025-11-25' | '2026-07-28';

export interface ConformanceRunOptions {
  suite: ConformanceSuite;
  /** The MCP endpoint to test. */
  url: string;
  /** `next` only: run exactly the scenarios this revision requires (plus the unscored ones). */
  requirements?: ConformanceRequirements;
  /** Run one scenario instead of the whole suite. Not combinable with `requirements`. */
  scenario?: string;
  /** A fresh run directory is created inside it; the suite writes its results there. */
  outDir: string;
  /** Time limit for the whole suite run; the process is killed when it expires. */
  timeoutMs?: number;
  /** Count WARNING checks as failures. */
  warningsFail?: boolean;
}

export interface ConformanceCheck {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  /** FAILURE checks (and WARNING checks when `warningsFail` is set). */
  failures: ConformanceCheck[];
  warnings: ConformanceCheck[];
  checkCount: number;
}

export interface ConformanceResult {
  suite: ConformanceSuite;
  requirements?: ConformanceRequirements;
  url: string;
  resultDir: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  scenarios: Record<string, ScenarioResult>;
  /** Scenario names, sorted. */
  passed: string[];
  failed: string[];
  stdout: string;
  stderr: string;
}

const cliPaths: Record<ConformanceSuite, string> = {
  stable: fileURLToPath(import.meta.resolve('conformance-stable/dist/index.js')),
  next: fileURLToPath(import.meta.resolve('conformance-next/dist/index.js')),
};

/** `server-<scenario>-<ISO timestamp with : and . replaced>` */
const resultDirPattern = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
/** Summary lines: `✓ tools-list: 3 passed, 0 failed` */
const summaryLinePattern = /^[✓✗] ([^:\s]+): \d+ passed, \d+ failed$/gm;

function cliArguments(options: ConformanceRunOptions, runDir: string): string[] {
  if (options.requirements !== undefined && options.suite !== 'next') {
    throw new Error('requirements needs the next suite');
  }
  if (options.requirements !== undefined && options.scenario !== undefined) {
    throw new Error('requirements and scenario cannot be combined');
  }
  const args = [cliPaths[options.suite], 'server', '--url', options.url, '-o', runDir];
  if (options.requirements !== undefined) args.push('--requirements', options.requirements);
  if (options.scenario !== undefined) args.push('--scenario', options.scenario);
  return args;
}

interface Exit {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Runs the suite with the pinned node and kills it (and only it) at the time limit. */
function runSuiteProcess(args: string[], timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // If this process exits first (a test runner timeout), the suite must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      resolve({ exitCode, timedOut, stdout, stderr });
    });
  });
}

async function readScenarioChecks(runDir: string): Promise<Map<string, ConformanceCheck[]>> {
  const checksByScenario = new Map<string, ConformanceCheck[]>();
  for (const entry of await readdir(runDir, { withFileTypes: true })) {
    const scenario = entry.isDirectory() ? resultDirPattern.exec(entry.name)?.[1] : undefined;
    if (scenario === undefined) continue;
    try {
      const checks = JSON.parse(await readFile(join(runDir, entry.name, 'checks.json'), 'utf8'));
      checksByScenario.set(scenario, checks as ConformanceCheck[]);
    } catch {
      // No readable checks.json: judged below as a scenario without results.
    }
  }
  return checksByScenario;
}

function judge(
  scenario: string,
  checks: ConformanceCheck[] | undefined,
  warningsFail: boolean,
): ScenarioResult {
  if (checks === undefined) {
    const missing = {
      id: 'checks-missing',
      status: 'FAILURE' as const,
      errorMessage: 'no checks.json written',
    };
    return { scenario, passed: false, failures: [missing], warnings: [], checkCount: 0 };
  }
  const warnings = checks.filter((check) => check.status === 'WARNING');
  const failures = checks.filter(
    (check) => check.status === 'FAILURE' || (warningsFail && check.status === 'WARNING'),
  );
  return { scenario, passed: failures.length === 0, failures, warnings, checkCount: checks.length };
}

/** Runs one conformance suite configuration against `url` and returns per-scenario verdicts. */
export async function runConformanceServer(
  options: ConformanceRunOptions,
): Promise<ConformanceResult> {
  await mkdir(options.outDir, { recursive: true });
  const label =
    `${options.suite}-${options.requirements ?? options.scenario ?? 'default'}-`.replace(
      /[^\w.-]/g,
      '_',
    );
  const runDir = await mkdtemp(join(options.outDir, label));
  const started = performance.now();
  const exit = await runSuiteProcess(cliArguments(options, runDir), options.timeoutMs ?? 180_000);
  const durationMs = Math.round(performance.now() - started);

  const checksByScenario = await readScenarioChecks(runDir);
  const announced = [...exit.stdout.matchAll(summaryLinePattern)].map((match) => match[1]!);
  const names = [...new Set([...checksByScenario.keys(), ...announced])].sort();
  const scenarios: Record<string, ScenarioResult> = {};
  for (const name of names) {
    scenarios[name] = judge(name, checksByScenario.get(name), options.warningsFail ?? false);
  }
  return {
    suite: options.suite,
    requirements: options.requirements,
    url: options.url,
    resultDir: runDir,
    ...exit,
    durationMs,
    scenarios,
    passed: names.filter((name) => scenarios[name]!.passed),
    failed: names.filter((name) => !scenarios[name]!.passed),
  };
}

/**
 * Lists which of `expected` did not pass, with their failing checks, one scenario per line;
 * empty when all passed. Scenarios that did not run at all are reported too.
 */
export function describeMissingPasses(
  result: ConformanceResult,
  expected: readonly string[],
): string {
  const lines: string[] = [];
  for (const name of expected) {
    const scenario = result.scenarios[name];
    if (scenario === undefined) {
      lines.push(`${name}: did not run`);
    } else if (!scenario.passed) {
      const reasons = scenario.failures.map(
        (check) => `${check.id}: ${check.errorMessage ?? check.status}`,
      );
      lines.push(`${name}: ${reasons.join('; ')}`);
    }
  }
  if (lines.length > 0 && result.timedOut) lines.push('(the suite run hit its time limit)');
  return lines.join('\n');
}
