/**
 * The data-plane goals from the project's issue, checked against a run's summary.
 * Each compares the gateway with a reference measured in the same run, never with
 * a number from another machine.
 */
import type { BenchOptions } from './bench-options.ts';
import type { TargetName } from './bench-target.ts';
import type { ScenarioName } from './sample.ts';
import { findRow, type SummaryRow } from './summary.ts';

export type GoalStatus = 'met' | 'not met' | 'not measured';

export interface GoalResult {
  readonly goal: string;
  /** The threshold, stated the way the measured value is. */
  readonly threshold: string;
  /** Human-readable measured value, or an explanation when not measured. */
  readonly measured: string;
  /** The number compared with the threshold (a ratio or milliseconds). */
  readonly value: number | undefined;
  readonly status: GoalStatus;
}

const THROUGHPUT_RATIO_MIN = 0.8;
const ADDED_P50_MAX_MS = 0.3;
const CLAUDE_RATIO_MAX = 1.0;
/** Issue 6: a realistic policy set costs at most 10 % of the throughput. */
const POLICY_RATIO_MIN = 0.9;
/** Issue 7: full records cost at most 10 % of the throughput. */
const CAPTURE_RATIO_MIN = 0.9;

function notMeasured(goal: string, threshold: string, missing: string): GoalResult {
  return {
    goal,
    threshold,
    measured: `needs ${missing}`,
    value: undefined,
    status: 'not measured',
  };
}

function verdict(isWithin: boolean, failures: number): GoalStatus {
  return isWithin && failures === 0 ? 'met' : 'not met';
}

function failureNote(failures: number): string {
  return failures === 0 ? '' : ` (${failures} failed requests)`;
}

export function evaluateGoals(rows: readonly SummaryRow[], options: BenchOptions): GoalResult[] {
  const results: GoalResult[] = [];

  const throughputGoal = `tools/call throughput, gateway ÷ blind, ${options.connections} connections`;
  const tGateway = findRow(rows, 'throughput', options.connections, 'gateway');
  const tBlind = findRow(rows, 'throughput', options.connections, 'blind');
  if (tGateway === undefined || tBlind === undefined) {
    results.push(
      notMeasured(throughputGoal, `≥ ${THROUGHPUT_RATIO_MIN}`, 'throughput: blind, gateway'),
    );
  } else {
    const ratio = tGateway.rate.median / tBlind.rate.median;
    const failures = tGateway.failures + tBlind.failures;
    results.push({
      goal: throughputGoal,
      threshold: `≥ ${THROUGHPUT_RATIO_MIN}`,
      measured: `${ratio.toFixed(2)}×${failureNote(failures)}`,
      value: ratio,
      status: verdict(ratio >= THROUGHPUT_RATIO_MIN, failures),
    });
  }

  const latencyGoal = 'added p50 latency over direct, gateway, 1 connection';
  const lGateway = findRow(rows, 'latency', 1, 'gateway');
  const lDirect = findRow(rows, 'latency', 1, 'direct');
  if (lGateway === undefined || lDirect === undefined) {
    results.push(notMeasured(latencyGoal, `≤ ${ADDED_P50_MAX_MS} ms`, 'latency: direct, gateway'));
  } else {
    const added = lGateway.p50Ms.median - lDirect.p50Ms.median;
    const failures = lGateway.failures + lDirect.failures;
    results.push({
      goal: latencyGoal,
      threshold: `≤ ${ADDED_P50_MAX_MS} ms`,
      measured: `${added.toFixed(3)} ms${failureNote(failures)}`,
      value: added,
      status: verdict(added <= ADDED_P50_MAX_MS, failures),
    });
  }

  for (const workers of options.claudeWorkers) {
    const claudeGoal = `Claude pattern p50 per iteration, gateway ÷ blind, ${workers} worker${workers === 1 ? '' : 's'}`;
    const cGateway = findRow(rows, 'claude', workers, 'gateway');
    const cBlind = findRow(rows, 'claude', workers, 'blind');
    if (cGateway === undefined || cBlind === undefined) {
      results.push(
        notMeasured(claudeGoal, `≤ ${CLAUDE_RATIO_MAX.toFixed(2)}`, 'claude: blind, gateway'),
      );
      continue;
    }
    const ratio = cGateway.p50Ms.median / cBlind.p50Ms.median;
    const failures = cGateway.failures + cBlind.failures;
    results.push({
      goal: claudeGoal,
      threshold: `≤ ${CLAUDE_RATIO_MAX.toFixed(2)}`,
      measured: `${ratio.toFixed(2)}×${failureNote(failures)}`,
      value: ratio,
      status: verdict(ratio <= CLAUDE_RATIO_MAX, failures),
    });
  }
  if (options.scenarios.includes('policy'))
    results.push(
      ratioGoal(rows, {
        goal: `tools/call throughput, 50-rule policy ÷ no policy, ${options.connections} connections`,
        scenario: 'policy',
        concurrency: options.connections,
        measured: 'policy',
        reference: 'no-policy',
        min: POLICY_RATIO_MIN,
      }),
    );
  if (options.scenarios.includes('capture'))
    results.push(
      ratioGoal(rows, {
        goal: `tools/call throughput, records with capture: full ÷ records off, ${options.connections} connections`,
        scenario: 'capture',
        concurrency: options.connections,
        measured: 'capture-full',
        reference: 'records-off',
        min: CAPTURE_RATIO_MIN,
      }),
    );
  return results;
}

interface RatioGoal {
  readonly goal: string;
  readonly scenario: ScenarioName;
  readonly concurrency: number;
  readonly measured: TargetName;
  readonly reference: TargetName;
  readonly min: number;
}

/** `median(measured req/s) ÷ median(reference req/s) ≥ min`, from the same run. */
function ratioGoal(rows: readonly SummaryRow[], spec: RatioGoal): GoalResult {
  const measured = findRow(rows, spec.scenario, spec.concurrency, spec.measured);
  const reference = findRow(rows, spec.scenario, spec.concurrency, spec.reference);
  const threshold = `≥ ${spec.min}`;
  if (measured === undefined || reference === undefined)
    return notMeasured(
      spec.goal,
      threshold,
      `${spec.scenario}: ${spec.reference}, ${spec.measured}`,
    );
  const ratio = measured.rate.median / reference.rate.median;
  const failures = measured.failures + reference.failures;
  return {
    goal: spec.goal,
    threshold,
    measured: `${ratio.toFixed(2)}×${failureNote(failures)}`,
    value: ratio,
    status: verdict(ratio >= spec.min, failures),
  };
}
