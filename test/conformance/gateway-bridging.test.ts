import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFixtureServer, type FixtureEra } from '../fixtures/fixture-server/http.ts';
import { describeMissingPasses, runConformanceServer } from '../support/conformance.ts';
import { startTestGateway } from '../support/gateway.ts';
import { startHeaderProxy } from '../support/header-proxy.ts';
import { expectedPasses, suiteRuns, type SuiteRunName } from './expected-passes.ts';

/**
 * The conformance suites of one era, run through the gateway against the fixture forced to the
 * other era, so every request crosses the era bridge. A scenario that passes against the
 * dual-era fixture directly must pass through the bridge too, unless it is listed below with
 * the reason the bridge cannot carry it.
 */
interface BridgedRun {
  /** The era the upstream fixture is forced to. */
  upstream: FixtureEra;
  run: SuiteRunName;
  /** Scenarios of the dual-era pass list that cannot pass through the bridge, and why. */
  notBridgeable: Record<string, string>;
}

const bridgedRuns: BridgedRun[] = [
  {
    upstream: 'legacy',
    run: 'next-2026-07-28',
    notBridgeable: {
      'input-required-result-basic-elicitation':
        'checks that the server names its input request "user_name"; a 2025 server pushes an ' +
        'unnamed elicitation/create, so the bridge can only name it by kind ("elicitation-1"), ' +
        'and the scenario stops at that check.',
      'server-stateless':
        'checks that test_missing_capability fails with -32021 when the client did not declare ' +
        'sampling. The bridge initializes the 2025 upstream with exactly the capabilities the ' +
        'client declared, so the upstream never asks for sampling: it answers with its own ' +
        'isError result, which the gateway cannot tell from any other tool failure (that check ' +
        'and the HTTP-400 check that depends on it fail; the other 29 checks pass).',
    },
  },
  { upstream: 'modern', run: 'stable', notBridgeable: {} },
  { upstream: 'modern', run: 'next-2025-11-25', notBridgeable: {} },
];

// The suites run one after another: scenarios time out on slow responses, so running them side
// by side would make results depend on load.
void describe('conformance suites through the gateway across the era bridge', () => {
  let outDir = '';
  const started = performance.now();

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'conformance-bridging-'));
  });
  after(async (t) => {
    await rm(outDir, { recursive: true, force: true });
    t.diagnostic(`wall time ${Math.round(performance.now() - started)} ms`);
  });

  for (const upstream of ['legacy', 'modern'] as const) {
    void describe(`gateway in front of the ${upstream}-only fixture`, () => {
      let close: () => Promise<void> = async () => {};
      let url = '';
      before(async () => {
        const fixture = await startFixtureServer({ era: upstream });
        const gateway = await startTestGateway({ servers: [{ id: 'fixture', url: fixture.url }] });
        // The suite cannot send an Authorization header; the proxy adds the gateway API key.
        const proxy = await startHeaderProxy({
          target: gateway.url,
          headers: { authorization: `Bearer ${gateway.apiKey}` },
        });
        url = `${proxy.url}/acme/fixture/mcp`;
        close = async () => {
          await proxy.close();
          await gateway.close();
          await fixture.close();
        };
      });
      after(() => close());

      for (const { run, notBridgeable } of bridgedRuns.filter((r) => r.upstream === upstream)) {
        const expected = (expectedPasses.dual[run] ?? []).filter(
          (name) => !(name in notBridgeable),
        );
        void it(`passes the ${expected.length} bridgeable ${run} scenarios`, async (t) => {
          const result = await runConformanceServer({ ...suiteRuns[run], url, outDir });
          t.diagnostic(
            `${run}: ${result.passed.length} passed, ${result.failed.length} failed, ${result.durationMs} ms`,
          );
          const nowPassing = Object.keys(notBridgeable).filter((name) =>
            result.passed.includes(name),
          );
          if (nowPassing.length > 0)
            t.diagnostic(`listed as not bridgeable but passing: ${nowPassing.join(', ')}`);
          assert.equal(
            describeMissingPasses(result, expected),
            '',
            'bridgeable scenarios that did not pass',
          );
        });
      }
    });
  }
});
