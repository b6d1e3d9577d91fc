/** Command-line flags of `npm run bench` (`node bench/run.ts`). */
import { parseArgs } from 'node:util';
import { TARGET_NAMES, type TargetName } from './bench-target.ts';
import { DEFAULT_SCENARIOS, SCENARIO_NAMES, type ScenarioName } from './sample.ts';

export interface BenchOptions {
  readonly rounds: number;
  /** Seconds per measurement. */
  readonly durationS: number;
  /** Seconds of unrecorded load per target and scenario before round 1. */
  readonly warmupS: number;
  /** Connections for the throughput scenario. */
  readonly connections: number;
  /** Worker counts for the Claude-pattern scenario; each is measured separately. */
  readonly claudeWorkers: readonly number[];
  readonly targets: readonly TargetName[];
  readonly scenarios: readonly ScenarioName[];
  readonly isPinned: boolean;
  /** Seconds to wait, before each measurement, for the machine to be quiet; 0 = never wait. */
  readonly waitQuietS: number;
  /** Gateway CLI entry point (run as `node <entry> serve`); undefined = src/cli/main.ts. */
  readonly gatewayEntry: string | undefined;
  /** Directory for the markdown and JSON results. */
  readonly outDir: string;
}

export const USAGE = `Usage: npm run bench -- [flags]

  --rounds N           interleaved rounds; each figure is the median over them (default 3)
  --duration S         seconds per measurement (default 5)
  --warmup S           seconds of unrecorded load per target and scenario first (default 1)
  --connections N      connections for the throughput scenario (default 64)
  --claude-workers L   comma list of worker counts for the Claude pattern (default 1,16)
  --only L             comma list of targets: direct,blind,gateway (default all three)
  --scenarios L        comma list: throughput,latency,claude,stdio,policy,capture
                       (default the first three); stdio compares the gateway with
                       supergateway in front of one stdio server, at --connections and
                       at one connection; policy compares a server with a 50-rule policy
                       with one without, capture a gateway with records on and
                       capture: full with one with records off (both tools/call
                       throughput at --connections; --only does not apply to them)
  --no-pin             do not pin processes to CPUs with taskset
  --wait-quiet S       before each measurement, wait up to S seconds for a second in
                       which other processes use under 10 % of a CPU, and repeat a
                       disturbed measurement up to twice (default 0: never)
  --gateway-entry F    gateway CLI to run as \`node F serve\` (default src/cli/main.ts)
  --out DIR            where results are written (default .bench)
  --help               show this text
`;

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function positiveNumber(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(
      `${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`,
    );
  return n;
}

function listOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new Error(`${flag}: unknown "${item}" (expected ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new Error(`${flag} needs at least one of ${allowed.join(', ')}`);
  // Keep the canonical order, whatever order the flag listed them in.
  return allowed.filter((name) => items.includes(name));
}

/** Returns undefined when --help was asked for. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '64' },
      'claude-workers': { type: 'string', default: '1,16' },
      only: { type: 'string', default: TARGET_NAMES.join(',') },
      scenarios: { type: 'string', default: DEFAULT_SCENARIOS.join(',') },
      'no-pin': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string', default: '0' },
      'gateway-entry': { type: 'string' },
      out: { type: 'string', default: '.bench' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  return {
    rounds: positiveInteger('--rounds', values.rounds),
    durationS: positiveNumber('--duration', values.duration),
    warmupS: positiveNumber('--warmup', values.warmup, true),
    connections: positiveInteger('--connections', values.connections),
    claudeWorkers: values['claude-workers']
      .split(',')
      .map((item) => positiveInteger('--claude-workers', item.trim())),
    targets: listOf('--only', values.only, TARGET_NAMES),
    scenarios: listOf('--scenarios', values.scenarios, SCENARIO_NAMES),
    isPinned: !values['no-pin'],
    waitQuietS: positiveNumber('--wait-quiet', values['wait-quiet'], true),
    gatewayEntry: values['gateway-entry'],
    outDir: values.out,
  };
}
