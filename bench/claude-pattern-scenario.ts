/**
 * Scenario (c), the "Claude pattern": each iteration opens a fresh session and
 * uses it once, the way Claude's connectors behave:
 *   1. `initialize` (no session id) → 200 and a new `Mcp-Session-Id`
 *   2. `notifications/initialized` with that id → 202
 *   3. `tools/call` with that id → 200
 * N workers repeat the iteration until the time is up. A blind proxy forwards all
 * three round trips to the upstream; the gateway must not be slower than that.
 */
import { Pool } from 'undici';
import type { BenchTarget } from './bench-target.ts';
import {
  INITIALIZE_BODY,
  INITIALIZED_BODY,
  POST_HEADERS,
  sessionHeaders,
  TOOLS_CALL_BODY,
} from './mcp-session.ts';
import { readProcessCpuMs } from './process-cpu.ts';
import type { Sample } from './sample.ts';
import { percentile } from './stats.ts';

export interface ClaudePatternRun {
  readonly round: number;
  readonly workers: number;
  readonly durationS: number;
}

/** Stop a measurement that only produces errors instead of spinning for its whole duration. */
const MAX_FAILURES = 1_000;

async function iterate(pool: Pool, target: BenchTarget, path: string): Promise<boolean> {
  const init = await pool.request({
    path,
    method: 'POST',
    headers: { ...POST_HEADERS, ...target.headers },
    body: INITIALIZE_BODY,
  });
  await init.body.dump();
  const sessionId = init.headers['mcp-session-id'];
  if (init.statusCode !== 200 || typeof sessionId !== 'string') return false;
  const headers = sessionHeaders(target, sessionId);

  const notified = await pool.request({ path, method: 'POST', headers, body: INITIALIZED_BODY });
  await notified.body.dump();
  if (notified.statusCode !== 202) return false;

  const called = await pool.request({ path, method: 'POST', headers, body: TOOLS_CALL_BODY });
  await called.body.text();
  return called.statusCode === 200;
}

export async function measureClaudePattern(
  target: BenchTarget,
  run: ClaudePatternRun,
): Promise<Sample> {
  const url = new URL(target.url);
  const path = url.pathname + url.search;
  const pool = new Pool(url.origin, { connections: run.workers, keepAliveTimeout: 60_000 });
  const durations: number[] = [];
  let failures = 0;
  let firstFailure: unknown;

  const cpuBefore = readProcessCpuMs(target.pid);
  const started = performance.now();
  const deadline = started + run.durationS * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && failures < MAX_FAILURES) {
      const begun = performance.now();
      try {
        if (await iterate(pool, target, path)) durations.push(performance.now() - begun);
        else failures++;
      } catch (error) {
        failures++;
        firstFailure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: run.workers }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const cpuAfter = readProcessCpuMs(target.pid);
  await pool.close();

  if (failures >= MAX_FAILURES) {
    throw new Error(`Claude pattern against ${target.name} keeps failing`, { cause: firstFailure });
  }
  const ok = durations.length;
  return {
    scenario: 'claude',
    target: target.name,
    round: run.round,
    concurrency: run.workers,
    rate: ok / elapsedS,
    operations: ok,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    failures,
    serverCpuUsPerOp:
      cpuBefore === undefined || cpuAfter === undefined || ok === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1000) / ok,
  };
}
