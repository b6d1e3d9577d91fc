/**
 * `--scenarios stdio`: `tools/call` of the echo tool of one stdio server
 * (stdio-echo-server.ts) through the gateway and through supergateway, at
 * --connections connections (throughput) and at one (latency), in interleaved
 * rounds like the other scenarios; the report gives medians and the ratio
 * gateway ÷ supergateway.
 */
import type { BenchOptions } from './bench-options.ts';
import type { CpuPinning } from './cpu-pinning.ts';
import { openMcpSession, verifyEchoCall } from './mcp-session.ts';
import type { Sample } from './sample.ts';
import { median } from './stats.ts';
import { startStdioTargets } from './stdio-targets.ts';
import { measureQuietly } from './take-sample.ts';
import { measureToolsCall } from './tools-call-scenario.ts';

export interface StdioComparison {
  readonly samples: readonly Sample[];
  readonly markdown: string;
}

function row(samples: readonly Sample[], target: string, connections: number) {
  const mine = samples.filter((s) => s.target === target && s.concurrency === connections);
  return {
    rate: median(mine.map((s) => s.rate)),
    p50Ms: median(mine.map((s) => s.p50Ms)),
    p99Ms: median(mine.map((s) => s.p99Ms)),
    cpuUsPerOp: median(mine.map((s) => s.serverCpuUsPerOp ?? Number.NaN)),
    failures: mine.reduce((sum, s) => sum + s.failures, 0),
  };
}

function render(samples: readonly Sample[], connections: number): string {
  const lines = [
    '| connections | target | req/s | p50 ms | p99 ms | proxy CPU µs/op | failures |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const ratios: string[] = [];
  for (const c of [connections, 1]) {
    const gateway = row(samples, 'gateway-stdio', c);
    const other = row(samples, 'supergateway', c);
    for (const [name, r] of [
      ['gateway-stdio', gateway],
      ['supergateway', other],
    ] as const)
      lines.push(
        `| ${c} | ${name} | ${r.rate.toFixed(0)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.cpuUsPerOp.toFixed(0)} | ${r.failures} |`,
      );
    ratios.push(
      `at ${c} connection${c === 1 ? '' : 's'}: gateway ÷ supergateway req/s = ${(gateway.rate / other.rate).toFixed(2)}, p50 = ${(gateway.p50Ms / other.p50Ms).toFixed(2)}`,
    );
  }
  return [...lines, '', ...ratios.map((r) => `- ${r}`)].join('\n');
}

export async function runStdioComparison(
  options: BenchOptions,
  pinning: CpuPinning,
): Promise<StdioComparison> {
  const environment = await startStdioTargets(pinning, options.gatewayEntry);
  const samples: Sample[] = [];
  try {
    for (const target of environment.targets)
      await verifyEchoCall(target, await openMcpSession(target));
    const plan = [options.connections, 1].flatMap((connections) =>
      environment.targets.map((target) => ({ connections, target })),
    );
    if (options.warmupS > 0)
      for (const { target, connections } of plan)
        await measureToolsCall(target, {
          scenario: 'stdio',
          round: 0,
          connections,
          durationS: options.warmupS,
        });
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate which target goes first, as the other scenarios rotate.
      const ordered = round % 2 === 0 ? [...plan].reverse() : plan;
      for (const { target, connections } of ordered) {
        const sample = await measureQuietly(options.waitQuietS, () =>
          measureToolsCall(target, {
            scenario: 'stdio',
            round,
            connections,
            durationS: options.durationS,
          }),
        );
        samples.push(sample);
        console.error(
          `round ${round}/${options.rounds}  stdio@${connections}  ${target.name.padEnd(13)} ` +
            `${Math.round(sample.rate)} req/s  p50 ${sample.p50Ms.toFixed(3)} ms  ` +
            `p99 ${sample.p99Ms.toFixed(3)} ms` +
            (sample.failures === 0 ? '' : `  FAILURES ${sample.failures}`),
        );
      }
    }
  } finally {
    await environment.close();
  }
  return { samples, markdown: render(samples, options.connections) };
}
