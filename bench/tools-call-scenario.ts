/**
 * Scenarios (a) and (b): one session, then `tools/call` of the echo tool as fast as
 * autocannon can send it over N keep-alive connections. At 64 connections this is
 * throughput; at one connection it is per-request latency. Response times are kept
 * per request (autocannon's own histogram has whole-millisecond resolution, too
 * coarse for a 0.3 ms budget).
 */
import autocannon, { type Result } from 'autocannon';
import type { BenchTarget } from './bench-target.ts';
import { openMcpSession, sessionHeaders, TOOLS_CALL_BODY } from './mcp-session.ts';
import { readProcessCpuMs } from './process-cpu.ts';
import type { Sample, ScenarioName } from './sample.ts';
import { percentile } from './stats.ts';

export interface ToolsCallRun {
  readonly scenario: ScenarioName;
  readonly round: number;
  readonly connections: number;
  readonly durationS: number;
}

export async function measureToolsCall(target: BenchTarget, run: ToolsCallRun): Promise<Sample> {
  const sessionId = await openMcpSession(target);
  const latencies: number[] = [];
  const cpuBefore = readProcessCpuMs(target.pid);
  const started = performance.now();
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: sessionHeaders(target, sessionId),
        body: TOOLS_CALL_BODY,
        connections: run.connections,
        duration: run.durationS,
      },
      (error, res) => (error === null ? resolve(res) : reject(error)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  const elapsedS = (performance.now() - started) / 1000;
  const cpuAfter = readProcessCpuMs(target.pid);
  const ok = latencies.length;
  return {
    scenario: run.scenario,
    target: target.name,
    round: run.round,
    concurrency: run.connections,
    rate: ok / elapsedS,
    operations: ok,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures: result.errors + result.timeouts + result.non2xx,
    serverCpuUsPerOp:
      cpuBefore === undefined || cpuAfter === undefined || ok === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1000) / ok,
  };
}
