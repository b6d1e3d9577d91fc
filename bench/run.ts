/**
 * `npm run bench`: the data-plane benchmark. Starts the cheap upstream, the blind
 * proxy and the gateway as separate (pinned) processes, warms each target up, then
 * runs interleaved rounds of every scenario and reports medians and the goals.
 * docs/benchmarks.md explains the method.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { USAGE, parseBenchOptions, type BenchOptions } from './bench-options.ts';
import { startBenchEnvironment } from './bench-environment.ts';
import {
  CAPTURE_TARGET_NAMES,
  POLICY_TARGET_NAMES,
  TARGET_NAMES,
  type BenchTarget,
  type TargetName,
} from './bench-target.ts';
import { writeBenchReport } from './bench-report.ts';
import { measureClaudePattern } from './claude-pattern-scenario.ts';
import { detectCpuPinning } from './cpu-pinning.ts';
import { evaluateGoals } from './goals.ts';
import { readMachineInfo } from './machine-info.ts';
import { openMcpSession, verifyEchoCall } from './mcp-session.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { Sample, ScenarioName } from './sample.ts';
import { summarize } from './summary.ts';
import { runStdioComparison } from './stdio-scenario.ts';
import { measureQuietly, takeSample } from './take-sample.ts';
import { measureToolsCall } from './tools-call-scenario.ts';
import { totalPerOperation } from './upstream-stats.ts';

interface Measurement {
  readonly scenario: ScenarioName;
  readonly concurrency: number;
  measure(target: BenchTarget, round: number, durationS: number): Promise<Sample>;
}

/** Every measurement a round makes, in order; each is taken for every target. */
function plan(options: BenchOptions): Measurement[] {
  const measurements: Measurement[] = [];
  for (const scenario of options.scenarios) {
    if (scenario === 'stdio') continue;
    if (scenario === 'claude') {
      for (const workers of options.claudeWorkers) {
        measurements.push({
          scenario,
          concurrency: workers,
          measure: (target, round, durationS) =>
            measureClaudePattern(target, { round, workers, durationS }),
        });
      }
    } else {
      // The feature scenarios are throughput comparisons, at the throughput scenario's connections.
      const connections = scenario === 'latency' ? 1 : options.connections;
      measurements.push({
        scenario,
        concurrency: connections,
        measure: (target, round, durationS) =>
          measureToolsCall(target, { scenario, round, connections, durationS }),
      });
    }
  }
  return measurements;
}

const SCENARIO_TARGETS: Partial<Record<ScenarioName, readonly TargetName[]>> = {
  claude: ['blind', 'gateway'],
  policy: POLICY_TARGET_NAMES,
  capture: CAPTURE_TARGET_NAMES,
};

/** Which targets a scenario compares; the Claude pattern is blind against gateway. */
function targetsFor(scenario: ScenarioName, targets: readonly BenchTarget[]): BenchTarget[] {
  const names: readonly TargetName[] = SCENARIO_TARGETS[scenario] ?? TARGET_NAMES;
  return targets.filter((target) => names.includes(target.name));
}

/** Rotates the order each round so no target always runs first or last. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function progress(sample: Sample, rounds: number): string {
  const unit = sample.scenario === 'claude' ? 'it/s' : 'req/s';
  return (
    `round ${sample.round}/${rounds}  ${`${sample.scenario}@${sample.concurrency}`.padEnd(14)} ` +
    `${sample.target.padEnd(12)} ${Math.round(sample.rate).toString().padStart(7)} ${unit.padEnd(6)}` +
    `p50 ${sample.p50Ms.toFixed(3)} ms  p99 ${sample.p99Ms.toFixed(3)} ms` +
    (sample.serverCpuUsPerOp === undefined
      ? ''
      : `  cpu ${sample.serverCpuUsPerOp.toFixed(0)} µs/op`) +
    (sample.upstreamPerOp === undefined
      ? ''
      : `  upstream ${totalPerOperation(sample.upstreamPerOp).toFixed(2)}/op`) +
    (sample.loadCpuPercent === undefined
      ? ''
      : `  load side ${sample.loadCpuPercent.toFixed(0)}%`) +
    (sample.foreignCpuPercent === undefined
      ? ''
      : `  other load ${sample.foreignCpuPercent.toFixed(0)}%`) +
    (sample.failures === 0 ? '' : `  FAILURES ${sample.failures}`)
  );
}

/** Adds what the target's process printed to an error it caused. */
async function explainFailure<T>(
  target: BenchTarget,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const output = target.recentOutput?.() ?? '';
    throw new Error(
      `${target.name} ${what}: ${error instanceof Error ? error.message : String(error)}` +
        (output.length > 0 ? `\n${target.name} output:\n${output}` : ''),
      { cause: error },
    );
  }
}

const outputShown = new Set<string>();

/** Shows a failing target's recent output once, so its errors are not lost. */
function printOutputOnce(target: BenchTarget): void {
  const output = target.recentOutput?.() ?? '';
  if (output.length === 0 || outputShown.has(target.name)) return;
  outputShown.add(target.name);
  console.error(`${target.name} output:\n${output}`);
}

async function writeStdioReport(
  outDir: string,
  argv: readonly string[],
  pinning: string,
  stdio: { samples: readonly Sample[]; markdown: string },
): Promise<string> {
  const dir = path.resolve(outDir);
  await mkdir(dir, { recursive: true });
  const date = new Date().toISOString();
  const base = path.join(dir, `stdio-${date.replace(/[:.]/g, '-')}`);
  const command = `npm run bench -- ${argv.join(' ')}`;
  await writeFile(`${base}.md`, `${command}\n\npinning: ${pinning}\n\n${stdio.markdown}\n`);
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ date, command, pinning, ...stdio }, null, 2)}\n`,
  );
  return `${base}.md`;
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseBenchOptions(argv);
  if (options === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  // Read before pinning: nproc counts only the CPUs this process may use.
  const machine = readMachineInfo();
  const pinning = detectCpuPinning(options.isPinned);
  // This process is the load generator: it shares the load CPU with the upstream.
  pinning.pinProcess(process.pid, pinning.loadCpu);
  console.error(`pinning: ${pinning.note}`);

  if (options.scenarios.includes('stdio')) {
    const stdio = await runStdioComparison(options, pinning);
    process.stdout.write(`\n## stdio: gateway vs supergateway\n\n${stdio.markdown}\n`);
    const written = await writeStdioReport(options.outDir, argv, pinning.note, stdio);
    console.error(`stdio results written to ${written} (and .json)`);
    if (options.scenarios.every((scenario) => scenario === 'stdio')) return;
  }

  const environment = await startBenchEnvironment(
    options.targets,
    pinning,
    options.gatewayEntry,
    options.scenarios,
  );
  const onSignal = (): void => {
    void environment.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const samples: Sample[] = [];
  const ownPids = [process.pid, ...environment.pids];
  try {
    for (const target of environment.targets) {
      await explainFailure(target, 'failed the echo check', async () =>
        verifyEchoCall(target, await openMcpSession(target)),
      );
    }
    const measurements = plan(options);
    if (options.warmupS > 0) {
      console.error(`warm-up: ${options.warmupS} s per target and measurement`);
      for (const m of measurements) {
        for (const target of targetsFor(m.scenario, environment.targets)) {
          await m.measure(target, 0, options.warmupS);
        }
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const m of measurements) {
        for (const target of rotate(targetsFor(m.scenario, environment.targets), round - 1)) {
          const sample = await explainFailure(target, `failed in ${m.scenario}`, () =>
            measureQuietly(options.waitQuietS, () =>
              takeSample(target, ownPids, () => m.measure(target, round, options.durationS)),
            ),
          );
          samples.push(sample);
          console.error(progress(sample, options.rounds));
          if (sample.failures > 0) printOutputOnce(target);
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await environment.close();
  }

  const summary = summarize(samples);
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    machine,
    pinning: pinning.note,
    options,
    goals: evaluateGoals(summary, options),
    summary,
    samples,
  };
  process.stdout.write(`\n${renderMarkdown(report)}\n`);
  const written = await writeBenchReport(report);
  console.error(`results written to ${written} (and .json)`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`bench: ${message}`);
  // Causes carrying news (such as a network error's code) are shown; restated ones are not.
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && !message.includes(cause.message)) console.error('cause:', cause);
  process.exitCode = 1;
}
