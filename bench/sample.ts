import type { TargetName } from './bench-target.ts';

export const SCENARIO_NAMES = [
  'throughput',
  'latency',
  'claude',
  'stdio',
  'policy',
  'capture',
] as const;

/** What `--scenarios` means when absent: stdio, policy and capture are asked for by name. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['throughput', 'latency', 'claude'];

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One measurement of one target in one round. */
export interface Sample {
  readonly scenario: ScenarioName;
  readonly target: TargetName;
  readonly round: number;
  /** Connections (throughput, latency, policy, capture) or workers (claude). */
  readonly concurrency: number;
  /** Successful operations per second: requests, or Claude-pattern iterations. */
  readonly rate: number;
  readonly operations: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Errors, timeouts and unexpected statuses. */
  readonly failures: number;
  /** CPU the serving process spent per successful operation, when /proc is readable. */
  readonly serverCpuUsPerOp: number | undefined;
  /** CPU used by processes outside the benchmark meanwhile, in % of one CPU. */
  readonly foreignCpuPercent?: number | undefined;
  /** CPU the load side used meanwhile, in % of one CPU; near 100 the load side may be the limit. */
  readonly loadCpuPercent?: number | undefined;
  /** Requests the upstream served per successful operation, by JSON-RPC method. */
  readonly upstreamPerOp?: Readonly<Record<string, number>>;
}
