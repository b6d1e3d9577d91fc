import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { describeMissingPasses, runConformanceServer } from '../support/conformance.ts';
import { startTestGateway } from '../support/gateway.ts';
import { startHeaderProxy } from '../support/header-proxy.ts';
import { expectedPasses, suiteRuns, type SuiteRunName } from './expected-passes.ts';

/**
 * The conformance suites through the gateway in front of the fixture run as a stdio server
 * (`transport: stdio`, one process shared by every session of the suite). Every scenario that
 * passes against the fixture over HTTP directly must pass here too, unless it is listed below
 * with the reason a shared stdio process cannot carry it. The stdio fixture runs in the 2025
 * era (stdio upstreams are 2025-era only), so the 2026-07-28 run also crosses the era bridge.
 */
interface StdioRun {
  run: SuiteRunName;
  /** Scenarios of the dual-era pass list that cannot pass over a shared stdio process, and why. */
  notOverStdio: Record<string, string>;
  /** Scenarios that pass over stdio only when run alone (each is then run on its own), and why. */
  aloneOnly: Record<string, string>;
}

/**
 * The suite runs its 2026-07-28 scenarios side by side. The fixture answers them in the 2025
 * era, so the bridge turns each input request into an elicitation/create, sampling/createMessage
 * or roots/list sent by the server; on one shared stdio process such a request carries no
 * related-request id, and with several calls in flight the gateway refuses it rather than guess
 * the member (src/upstream/stdio-client-capabilities.ts).
 */
const concurrent =
  'needs a server→client request, which a shared stdio process can only attribute while one ' +
  'call is in flight; the suite runs these scenarios concurrently.';

const stdioRuns: StdioRun[] = [
  { run: 'stable', notOverStdio: {}, aloneOnly: {} },
  { run: 'next-2025-11-25', notOverStdio: {}, aloneOnly: {} },
  {
    run: 'next-2026-07-28',
    notOverStdio: {
      'input-required-result-basic-elicitation':
        'checks that the server names its input request "user_name"; a 2025 server pushes an ' +
        'unnamed elicitation/create, which the bridge can only name by kind (as over HTTP, ' +
        'gateway-bridging.test.ts).',
      'server-stateless':
        'checks that test_missing_capability fails with -32021 when the client did not declare ' +
        'sampling; the 2025 server asks for sampling anyway (the shared process is initialized ' +
        'declaring it), the gateway refuses that request, and the server reports an isError ' +
        'result the gateway cannot tell from any other tool failure.',
    },
    aloneOnly: Object.fromEntries(
      [
        'input-required-result-basic-sampling',
        'input-required-result-basic-list-roots',
        'input-required-result-request-state',
        'input-required-result-multiple-input-requests',
        'input-required-result-multi-round',
        'input-required-result-non-tool-request',
        'input-required-result-result-type',
        'input-required-result-tampered-state',
        'input-required-result-capability-check',
      ].map((name) => [name, concurrent]),
    ),
  },
];

const fixtureMain = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));

/** A gateway fronting the fixture over stdio, behind the header proxy (the suite sends no Authorization). */
async function startStdioGateway(): Promise<{ url: string; close: () => Promise<void> }> {
  const gateway = await startTestGateway({
    servers: [
      {
        id: 'fixture',
        transport: 'stdio',
        command: process.execPath,
        args: [fixtureMain, '--stdio', '--era', 'legacy'],
      },
    ],
  });
  const proxy = await startHeaderProxy({
    target: gateway.url,
    headers: { authorization: `Bearer ${gateway.apiKey}` },
  });
  return {
    url: `${proxy.url}/acme/fixture/mcp`,
    close: async () => {
      await proxy.close();
      await gateway.close();
    },
  };
}

// The suites run one after another: scenarios time out on slow responses.
void describe('conformance suites through the gateway in front of a stdio server', () => {
  let outDir = '';
  let url = '';
  let close: () => Promise<void> = async () => {};
  const started = performance.now();

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'conformance-stdio-'));
    ({ url, close } = await startStdioGateway());
  });
  after(async (t) => {
    await close();
    await rm(outDir, { recursive: true, force: true });
    t.diagnostic(`wall time ${Math.round(performance.now() - started)} ms`);
  });

  for (const { run, notOverStdio, aloneOnly } of stdioRuns) {
    const carried = (expectedPasses.dual[run] ?? []).filter((name) => !(name in notOverStdio));
    const together = carried.filter((name) => !(name in aloneOnly));
    const alone = Object.keys(aloneOnly);
    // Each on a gateway of its own: a call the bridge holds open for an input response stays in
    // flight on the process until it expires, and while it does nothing else is attributable.
    if (alone.length > 0)
      void it(`passes each of the ${alone.length} other ${run} scenarios run alone`, async () => {
        const suite = suiteRuns[run].suite;
        for (const scenario of alone) {
          const own = await startStdioGateway();
          try {
            const result = await runConformanceServer({ suite, scenario, url: own.url, outDir });
            assert.equal(describeMissingPasses(result, [scenario]), '', `${scenario} run alone`);
          } finally {
            await own.close();
          }
        }
      });
    void it(`passes the ${together.length} ${run} scenarios run together`, async (t) => {
      const result = await runConformanceServer({ ...suiteRuns[run], url, outDir });
      t.diagnostic(
        `${run}: ${result.passed.length} passed, ${result.failed.length} failed, ${result.durationMs} ms`,
      );
      const nowPassing = [...Object.keys(notOverStdio), ...Object.keys(aloneOnly)].filter((name) =>
        result.passed.includes(name),
      );
      if (nowPassing.length > 0)
        t.diagnostic(`listed as not carried together but passing: ${nowPassing.join(', ')}`);
      assert.equal(
        describeMissingPasses(result, together),
        '',
        'scenarios that pass over HTTP directly but not through the gateway over stdio',
      );
    });
  }
});
