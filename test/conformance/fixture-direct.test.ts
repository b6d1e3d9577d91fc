import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  startFixtureServer,
  type FixtureEra,
  type RunningFixtureServer,
} from '../fixtures/fixture-server/http.ts';
import { describeMissingPasses, runConformanceServer } from '../support/conformance.ts';
import { expectedPasses, suiteRuns, type SuiteRunName } from './expected-passes.ts';

// The suites run one after another: the CI machine has two cores and the scenarios time out
// on slow responses, so running them side by side would make results depend on load.
describe('conformance suites against the fixture server directly', () => {
  let outDir = '';
  const started = performance.now();

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'conformance-direct-'));
  });
  after(async (t) => {
    await rm(outDir, { recursive: true, force: true });
    t.diagnostic(`wall time ${Math.round(performance.now() - started)} ms`);
  });

  for (const era of Object.keys(expectedPasses) as FixtureEra[]) {
    describe(`${era}-era fixture`, () => {
      let fixture: RunningFixtureServer | undefined;
      before(async () => {
        fixture = await startFixtureServer({ era });
      });
      after(() => fixture?.close());

      for (const [runName, expected] of Object.entries(expectedPasses[era]) as [
        SuiteRunName,
        string[],
      ][]) {
        it(`passes the ${expected.length} pinned ${runName} scenarios`, async (t) => {
          const result = await runConformanceServer({
            ...suiteRuns[runName],
            url: fixture!.url,
            outDir,
          });
          t.diagnostic(
            `${runName}: ${result.passed.length} passed, ${result.failed.length} failed, ${result.durationMs} ms`,
          );
          const unpinned = result.passed.filter((name) => !expected.includes(name));
          if (unpinned.length > 0) t.diagnostic(`passing but not pinned: ${unpinned.join(', ')}`);
          assert.equal(
            describeMissingPasses(result, expected),
            '',
            'pinned scenarios that did not pass',
          );
        });
      }
    });
  }
});
