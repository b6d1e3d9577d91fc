import type { FixtureEra } from '../fixtures/fixture-server/http.ts';
import type { ConformanceRunOptions } from '../support/conformance.ts';

/** The three suite configurations every conformance test runs. */
export const suiteRuns = {
  /** conformance 0.1.16, default (`active`) server suite: 2025-06-18 and 2025-11-25 scenarios. */
  stable: { suite: 'stable' },
  /** conformance 0.2.0-alpha, the frozen 2025-11-25 requirement set at the 2025-11-25 wire. */
  'next-2025-11-25': { suite: 'next', requirements: '2025-11-25' },
  /** conformance 0.2.0-alpha, the frozen 2026-07-28 requirement set at the 2026-07-28 wire. */
  'next-2026-07-28': { suite: 'next', requirements: '2026-07-28' },
} as const satisfies Record<string, Pick<ConformanceRunOptions, 'suite' | 'requirements'>>;

export type SuiteRunName = keyof typeof suiteRuns;

const stableScenarios = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'elicitation-sep1034-defaults',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
] as const;

const next20251125Scenarios = [
  ...stableScenarios,
  // Run but not scored by the suite for 2025-11-25 (added after release, or pending).
  'server-session-lifecycle',
  'json-schema-2020-12',
  'server-sse-polling',
] as const;

const next20260728Scenarios = [
  'server-stateless',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-error',
  'tools-call-with-progress',
  'server-sse-multiple-streams',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'sep-2164-resource-not-found',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
  'caching',
  'input-required-result-basic-elicitation',
  'input-required-result-basic-sampling',
  'input-required-result-basic-list-roots',
  'input-required-result-request-state',
  'input-required-result-multiple-input-requests',
  'input-required-result-multi-round',
  'input-required-result-missing-input-response',
  'input-required-result-non-tool-request',
  'input-required-result-result-type',
  'input-required-result-unsupported-methods',
  'input-required-result-tampered-state',
  'input-required-result-capability-check',
  'input-required-result-ignore-extra-params',
  'input-required-result-validate-input',
  // Run but not scored by the suite for 2026-07-28 (pending).
  'json-schema-2020-12',
  'http-header-validation',
  'http-custom-header-server-validation',
] as const;

/**
 * Scenarios measured to pass against the fixture served directly, per era mode and suite run.
 * A forced-era fixture is only held to the suites of its own era.
 *
 * Deliberately absent: the `tasks-*` scenarios of the 2026-07-28 run (Tasks extension, never
 * scored; SDK 2.4.0 ships no tasks support and the fixture implements none — the one that
 * "passes", `tasks-status-notifications`, has no checks at all).
 */
export const expectedPasses: Record<
  FixtureEra,
  Partial<Record<SuiteRunName, readonly string[]>>
> = {
  dual: {
    stable: stableScenarios,
    'next-2025-11-25': next20251125Scenarios,
    'next-2026-07-28': next20260728Scenarios,
  },
  legacy: {
    stable: stableScenarios,
    'next-2025-11-25': next20251125Scenarios,
  },
  modern: {
    'next-2026-07-28': next20260728Scenarios,
  },
};
