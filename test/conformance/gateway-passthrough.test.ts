/**
 * The official conformance server suites through the gateway: every scenario
 * that passes against the dual-era fixture directly must also pass when the
 * same suite runs through Portcullis in front of it (same era on both sides).
 * The suite cannot send an Authorization header, so a header-injecting proxy
 * stands in front of the gateway.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { describeMissingPasses, runConformanceServer } from '../support/conformance.ts';
import { startHeaderProxy } from '../support/header-proxy.ts';
import type { RunningHeaderProxy } from '../support/header-proxy.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { expectedPasses, suiteRuns } from './expected-passes.ts';
import type { SuiteRunName } from './expected-passes.ts';

describe('conformance suites through the gateway (same era both sides)', () => {
  let outDir = '';
  let fixture: RunningFixtureServer;
  let gateway: TestGateway;
  let proxy: RunningHeaderProxy;

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'conformance-gateway-'));
    fixture = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: fixture.url }] });
    proxy = await startHeaderProxy({
      target: gateway.url,
      headers: { authorization: `Bearer ${gateway.apiKey}` },
    });
  });
  after(async () => {
    await proxy?.close();
    await gateway?.close();
    await fixture?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  for (const runName of Object.keys(suiteRuns) as SuiteRunName[]) {
    it(`${runName}: every scenario passing directly passes through the gateway`, async (t) => {
      const direct = await runConformanceServer({
        ...suiteRuns[runName],
        url: fixture.url,
        outDir,
      });
      assert.equal(
        describeMissingPasses(direct, expectedPasses.dual[runName] ?? []),
        '',
        'the fixture itself regressed',
      );
      const through = await runConformanceServer({
        ...suiteRuns[runName],
        url: `${proxy.url}/acme/fixture/mcp`,
        outDir,
      });
      t.diagnostic(
        `${runName}: direct ${direct.passed.length} passed in ${direct.durationMs} ms; through the gateway ${through.passed.length} passed in ${through.durationMs} ms`,
      );
      assert.equal(
        describeMissingPasses(through, direct.passed),
        '',
        'scenarios that pass directly but fail through the gateway',
      );
    });
  }
});
