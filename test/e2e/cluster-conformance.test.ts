/**
 * The official conformance server suites, both eras, through nginx in front
 * of three gateway instances (round-robin, no stickiness): against the HTTP
 * fixture and against the fixture run as a stdio server (one process per
 * instance). The suite cannot send an Authorization header, so the header
 * proxy stands in front of the load balancer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { expectedPasses, suiteRuns } from '../conformance/expected-passes.ts';
import type { SuiteRunName } from '../conformance/expected-passes.ts';
import { clusterUnavailableReason, startCluster } from '../support/cluster.ts';
import type { RunningCluster } from '../support/cluster.ts';
import { describeMissingPasses, runConformanceServer } from '../support/conformance.ts';
import type { ConformanceResult } from '../support/conformance.ts';
import { startHeaderProxy } from '../support/header-proxy.ts';
import type { RunningHeaderProxy } from '../support/header-proxy.ts';

const fixtureMain = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const RUNS = Object.keys(suiteRuns) as SuiteRunName[];

/**
 * Scenarios that cannot pass through the cluster yet, and why. Each is still
 * run, as a todo test, so the day it passes shows. None today: the answer to
 * a stdio process's elicitation or sampling request reaches the instance
 * running that process whichever instance the client posts it to (the id the
 * client answers names the process's session: mcp/legacy/relay.ts).
 */
const waiting: Record<'http' | 'stdio', Partial<Record<SuiteRunName, Record<string, string>>>> = {
  http: {},
  stdio: {},
};
/** A server→client request nobody answers would wait for the suite's 60 s timeout. */
const STDIO_RUN_TIMEOUT_MS = 420_000;

/**
 * Not carried over a shared stdio process even on one instance
 * (test/conformance/gateway-stdio.test.ts gives the reasons).
 */
const notOverStdio: Partial<Record<SuiteRunName, string[]>> = {
  'next-2026-07-28': [
    'input-required-result-basic-elicitation',
    'server-stateless',
    'input-required-result-basic-sampling',
    'input-required-result-basic-list-roots',
    'input-required-result-request-state',
    'input-required-result-multiple-input-requests',
    'input-required-result-multi-round',
    'input-required-result-non-tool-request',
    'input-required-result-result-type',
    'input-required-result-tampered-state',
    'input-required-result-capability-check',
  ],
};

describe(
  'conformance suites through three instances behind nginx',
  {
    skip: clusterUnavailableReason(),
  },
  () => {
    let outDir = '';
    let fixture: RunningFixtureServer;
    let cluster: RunningCluster;
    let proxy: RunningHeaderProxy;
    const results = new Map<string, Promise<ConformanceResult>>();

    before(async () => {
      outDir = await mkdtemp(join(tmpdir(), 'conformance-cluster-'));
      fixture = await startFixtureServer({ era: 'dual' });
      cluster = await startCluster({
        servers: [
          { id: 'fixture', url: fixture.url },
          {
            id: 'stdio',
            transport: 'stdio',
            command: process.execPath,
            args: [fixtureMain, '--stdio', '--era', 'legacy'],
          },
        ],
      });
      proxy = await startHeaderProxy({
        target: cluster.url,
        headers: { authorization: `Bearer ${cluster.apiKey}` },
      });
    });
    after(async () => {
      await proxy?.close();
      await cluster?.close();
      await fixture?.close();
      await rm(outDir, { recursive: true, force: true });
    });

    /** One suite run per (server, run), shared by the passing and the todo test. */
    const run = (server: 'http' | 'stdio', name: SuiteRunName) => {
      const key = `${server}/${name}`;
      if (!results.has(key))
        results.set(
          key,
          runConformanceServer({
            ...suiteRuns[name],
            url: `${proxy.url}/acme/${server === 'http' ? 'fixture' : 'stdio'}/mcp`,
            outDir,
            ...(server === 'stdio' ? { timeoutMs: STDIO_RUN_TIMEOUT_MS } : {}),
          }),
        );
      return results.get(key)!;
    };

    for (const server of ['http', 'stdio'] as const)
      for (const name of RUNS) {
        const pending = waiting[server][name] ?? {};
        const excluded = server === 'stdio' ? (notOverStdio[name] ?? []) : [];
        const expected = (expectedPasses.dual[name] ?? []).filter(
          (scenario) => !(scenario in pending) && !excluded.includes(scenario),
        );
        it(`${server} fixture, ${name}: the ${expected.length} scenarios pass`, async (t) => {
          const result = await run(server, name);
          t.diagnostic(
            `${result.passed.length} passed, ${result.failed.length} failed (${result.failed.join(', ')}), ${result.durationMs} ms`,
          );
          assert.equal(describeMissingPasses(result, expected), '');
        });
        if (Object.keys(pending).length > 0)
          it(
            `${server} fixture, ${name}: ${Object.keys(pending).join(', ')}`,
            { todo: [...new Set(Object.values(pending))].join('; ') },
            async () => {
              assert.equal(
                describeMissingPasses(await run(server, name), Object.keys(pending)),
                '',
              );
            },
          );
      }
  },
);
