/**
 * Runs the MCP conformance suites' client authorization scenarios against
 * `upstream-oauth-conformance.ts`, i.e. against the gateway's upstream OAuth
 * client, and requires every check of every scenario to pass (a WARNING
 * counts as a failure, as the suite's own summary does).
 *
 * Extension scenarios the client does not implement are listed as `todo`:
 * they run, and their result is reported, without failing the run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const command = `${process.execPath} ${path.join(root, 'scripts/upstream-oauth-conformance.ts')}`;
const suites = {
  next: path.join(root, 'node_modules/conformance-next/dist/index.js'),
  stable: path.join(root, 'node_modules/conformance-stable/dist/index.js'),
};

/** 0.1.16 `client --suite auth`. */
const stableScenarios = [
  'metadata-default',
  'metadata-var1',
  'metadata-var2',
  'metadata-var3',
  'basic-cimd',
  'scope-from-www-authenticate',
  'scope-from-scopes-supported',
  'scope-omitted-when-undefined',
  'scope-step-up',
  'scope-retry-limit',
  'token-endpoint-auth-basic',
  'token-endpoint-auth-post',
  'token-endpoint-auth-none',
  'pre-registration',
].map((name) => `auth/${name}`);

/**
 * The `auth/*` scenarios 0.2.0-alpha.12 `--requirements 2026-07-28` runs (required ones, then
 * the client-credentials extensions). Its other client scenarios (tools_call, headers, request
 * state, JSON Schema) test an MCP client's messaging, not its authorization: not run here.
 */
const requiredScenarios = [
  ...stableScenarios,
  'auth/resource-mismatch',
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
  'auth/authorization-server-migration',
  'auth/iss-supported',
  'auth/iss-not-advertised',
  'auth/iss-supported-missing',
  'auth/iss-wrong-issuer',
  'auth/iss-unexpected',
  'auth/iss-normalized',
  'auth/metadata-issuer-mismatch',
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
];

/** 2025-03-26 back-compat scenarios: not part of the 2026-07-28 requirements, run one by one. */
const backCompatScenarios = [
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
];

/** Extensions not implemented by the upstream OAuth client. */
const notImplemented: Record<string, string> = {
  'auth/dpop': 'DPoP (RFC 9449) is not implemented',
  'auth/dpop-nonce': 'DPoP (RFC 9449) is not implemented',
  'auth/enterprise-managed-authorization':
    'enterprise-managed authorization (ID-JAG) is not implemented',
  'auth/wif-jwt-bearer': 'workload identity federation (jwt-bearer) is not implemented',
};

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

function runSuite(suite: string, args: string[], outputDir: string): Promise<void> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [suite, 'client', '--command', command, '--timeout', '120000', '-o', outputDir, ...args],
      { cwd: outputDir, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      // Failures are read from checks.json per scenario; the exit code only says "some failed".
      () => resolve(),
    );
  });
}

/** Scenario name → its checks, from `<out>/auth/<name>-<timestamp>/checks.json`. */
async function readResults(outputDir: string): Promise<Map<string, Check[]>> {
  const results = new Map<string, Check[]>();
  const dir = path.join(outputDir, 'auth');
  for (const entry of await readdir(dir).catch(() => [])) {
    const name = entry.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
    const text = await readFile(path.join(dir, entry, 'checks.json'), 'utf8').catch(() => '[]');
    results.set(`auth/${name}`, JSON.parse(text) as Check[]);
  }
  return results;
}

function assertPassed(results: Map<string, Check[]>, scenario: string): void {
  const checks = results.get(scenario);
  assert.ok(checks !== undefined && checks.length > 0, `${scenario} produced no checks`);
  const bad = checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING');
  assert.deepEqual(
    bad.map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? ''}`),
    [],
  );
}

let workDir = '';
before(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'upstream-oauth-conformance-'));
});
after(() => rm(workDir, { recursive: true, force: true }));

describe('conformance 0.2.0-alpha.12 client --requirements 2026-07-28 (auth scenarios)', () => {
  let results = new Map<string, Check[]>();
  before(async () => {
    const outputDir = await mkdtemp(path.join(workDir, 'requirements-'));
    // --requirements runs every required client scenario (it takes no --suite); auth ones are read.
    await runSuite(suites.next, ['--requirements', '2026-07-28'], outputDir);
    results = await readResults(outputDir);
  });
  for (const scenario of requiredScenarios) {
    it(`passes ${scenario}`, () => assertPassed(results, scenario));
  }
  for (const [scenario, reason] of Object.entries(notImplemented)) {
    it(`passes ${scenario}`, { todo: reason }, () => assertPassed(results, scenario));
  }
  it('runs no other auth scenario than those listed here', () => {
    const listed = new Set([...requiredScenarios, ...Object.keys(notImplemented)]);
    assert.deepEqual(
      [...results.keys()].filter((name) => !listed.has(name)),
      [],
    );
  });
});

describe('conformance 0.1.16 client --suite auth', () => {
  let results = new Map<string, Check[]>();
  before(async () => {
    const outputDir = await mkdtemp(path.join(workDir, 'stable-'));
    await runSuite(suites.stable, ['--suite', 'auth'], outputDir);
    results = await readResults(outputDir);
  });
  for (const scenario of stableScenarios) {
    it(`passes ${scenario}`, () => assertPassed(results, scenario));
  }
});

describe('conformance 0.2.0-alpha.12 client, 2025-03-26 back-compat scenarios', () => {
  for (const scenario of backCompatScenarios) {
    it(`passes ${scenario}`, async () => {
      const outputDir = await mkdtemp(path.join(workDir, 'single-'));
      await runSuite(suites.next, ['--scenario', scenario], outputDir);
      assertPassed(await readResults(outputDir), scenario);
    });
  }
});
