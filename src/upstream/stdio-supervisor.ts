/**
 * Supervises the one process behind a stdio server: started on first use and
 * initialized once (every downstream session reuses that `initialize`, sent
 * with the shared capabilities of stdio-client-capabilities.ts),
 * restarted on the next use after a crash with exponential backoff while it
 * keeps crashing, stopped after an idle TTL and on close().
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isResponse } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import { SHARED_PROCESS_CAPABILITIES } from './stdio-client-capabilities.ts';
import { createIdSpace } from './stdio-ids.ts';
import type { IdSpace } from './stdio-ids.ts';
import { spawnStdioProcess } from './stdio-process.ts';
import type { StdioProcess, StdioProcessDeps } from './stdio-process.ts';
import type { UpstreamCall } from './upstream.ts';

export interface Generation {
  readonly process: StdioProcess;
  readonly ids: IdSpace;
  /** The process's InitializeResult, replayed to every downstream initialize. */
  readonly result: JsonObject;
}

export interface StdioState {
  running: boolean;
  pid: number | undefined;
  /** Unexpected exits since the upstream was created. */
  restarts: number;
  /** Unexpected exits in a row; drives the backoff. */
  consecutiveCrashes: number;
  lastError: string | undefined;
  /** How long the next start waits, in milliseconds. */
  backoffMs: number;
}

export interface SupervisorOptions {
  idleMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A process that ran this long before crashing resets the crash count. */
  stableMs: number;
  /** Most processes running at once across every upstream sharing the reaper (per instance). */
  maxProcesses: number;
}

export interface StdioSupervisor {
  acquire(initialize: JsonRpcRequest, call: UpstreamCall): Promise<Generation>;
  find(id: string): Generation | undefined;
  state(): StdioState;
  close(): Promise<void>;
}

type ProcessSpec = Omit<StdioProcessDeps, 'onExit'> & {
  /**
   * Variables known only when a process starts (a member's own secrets),
   * added to `env`; a refusal (a missing secret) fails the start, not the process.
   */
  readonly prepareEnv?: () => Promise<Record<string, string>>;
};

export function createStdioSupervisor(
  spec: ProcessSpec,
  options: SupervisorOptions,
): StdioSupervisor {
  const { serverKey, log } = spec;
  let starting: Promise<Generation> | undefined;
  let current: Generation | undefined;
  const running = new Set<StdioProcess>();
  const crashes = { total: 0, inRow: 0, last: undefined as string | undefined, at: 0 };
  let closed = false;
  let sweeper: NodeJS.Timeout | undefined;

  const backoffMs = (): number => {
    if (crashes.inRow < 2) return 0;
    const delay = Math.min(options.backoffBaseMs * 2 ** (crashes.inRow - 2), options.backoffMaxMs);
    return Math.max(0, crashes.at + delay - Date.now());
  };

  const onExit = (process: StdioProcess, reason: GatewayError, expected: boolean): void => {
    running.delete(process);
    if (current?.process === process) current = undefined;
    if (expected || closed) return;
    if (Date.now() - process.startedAt >= options.stableMs) crashes.inRow = 0;
    crashes.total++;
    crashes.inRow++;
    crashes.last = reason.message;
    crashes.at = Date.now();
    log.warn(
      { server: serverKey, pid: process.pid, crashes: crashes.inRow, backoffMs: backoffMs() },
      reason.message,
    );
  };

  const sweep = (): void => {
    const since = current?.process.idleSince();
    if (current === undefined || since === undefined || Date.now() - since < options.idleMs) return;
    const idle = current.process;
    current = undefined;
    log.info({ server: serverKey, pid: idle.pid }, 'stopping an idle stdio server');
    void idle.stop(new GatewayError('session_not_found', 'The stdio server was idle and stopped.'));
  };

  const initialize = async (request: JsonRpcRequest, call: UpstreamCall): Promise<Generation> => {
    const wait = backoffMs();
    if (wait > call.timeoutMs)
      throw new GatewayError(
        'upstream_unavailable',
        `The stdio server ${serverKey} crashed ${crashes.inRow} times in a row; next start in ${wait} ms. Last error: ${crashes.last}`,
      );
    if (wait > 0) await sleep(wait);
    const prepared = spec.prepareEnv === undefined ? undefined : await spec.prepareEnv();
    if (closed) throw new GatewayError('unavailable', 'The gateway is shutting down.');
    // Checked right before the spawn, with no await between: concurrent starts cannot overshoot.
    if (spec.reaper.pids().length >= options.maxProcesses)
      throw new GatewayError(
        'upstream_unavailable',
        `The stdio server ${serverKey} cannot start: this instance already runs ${options.maxProcesses} stdio server processes (PORTCULLIS_STDIO_MAX_PROCESSES).`,
      );
    const env = prepared === undefined ? spec.env : { ...spec.env, ...prepared };
    const process = spawnStdioProcess({ ...spec, env, onExit });
    running.add(process);
    sweeper ??= setInterval(sweep, Math.min(Math.max(options.idleMs / 4, 250), 60_000)).unref();
    const ids = createIdSpace();
    const batch = ids.rewrite([
      { ...request, params: { ...request.params, capabilities: SHARED_PROCESS_CAPABILITIES } },
    ]);
    let answer: JsonRpcResponse | undefined;
    try {
      const exchange = process.router.expect(batch.requests, call);
      process.send(batch.outgoing[0]!);
      for await (const item of exchange.messages)
        if (item.message && isResponse(item.message)) {
          answer = item.message;
          break;
        }
      if (answer === undefined)
        throw new GatewayError(
          'upstream_protocol_error',
          `${serverKey} did not answer initialize.`,
        );
      if (answer.error !== undefined || typeof answer.result !== 'object')
        throw new GatewayError(
          'upstream_error',
          `The stdio server ${serverKey} refused initialize: ${answer.error?.message ?? 'no result'}`,
          { data: { upstreamError: answer.error } },
        );
      process.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    } catch (error) {
      void process.stop(new GatewayError('upstream_unavailable', 'initialize failed'));
      throw error;
    } finally {
      batch.release();
    }
    return { process, ids, result: answer.result };
  };

  return {
    acquire(request, call) {
      if (closed) throw new GatewayError('unavailable', 'The gateway is shutting down.');
      if (current?.process.live) return Promise.resolve(current);
      starting ??= initialize(request, call)
        .then((generation) => {
          if (generation.process.live) current = generation;
          return generation;
        })
        .finally(() => {
          starting = undefined;
        });
      return starting;
    },
    find(id) {
      return current?.process.id === id && current.process.live ? current : undefined;
    },
    state: () => ({
      running: current?.process.live ?? false,
      pid: current?.process.pid,
      restarts: crashes.total,
      consecutiveCrashes: crashes.inRow,
      lastError: crashes.last,
      backoffMs: backoffMs(),
    }),
    async close() {
      closed = true;
      current = undefined;
      if (sweeper !== undefined) clearInterval(sweeper);
      const reason = new GatewayError('unavailable', 'The gateway is shutting down.');
      await Promise.all([...running].map((process) => process.stop(reason)));
    },
  };
}
