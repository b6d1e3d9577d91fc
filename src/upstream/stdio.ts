/**
 * stdio upstream (MCP basic/transports/stdio) behind the upstream port: the
 * gateway runs the server's command itself, one process per server, shared
 * by every downstream session (stdio-supervisor.ts); for a server whose
 * environment carries member secrets, one per member (upstream-registry.ts).
 *
 * The upstream session id the gateway hands out names a process generation
 * and the sampling/elicitation/roots capabilities the downstream client
 * declared (stdio-client-capabilities.ts): a message carrying the id of a
 * process that has exited or been stopped is answered `session-gone`, and
 * the mcp layer re-initializes transparently, which starts the next process.
 * Every downstream `initialize` is answered from the process's one
 * InitializeResult, and its `notifications/initialized` is absorbed.
 *
 * The process speaks the 2025 era (`fixedEra`); 2026-07-28 clients reach it
 * through the era bridge (src/mcp/bridge).
 */
import { isNotification, isRequest } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import { openServerEnv } from '../auth/upstream-credentials/server-env.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import type { ChildReaper } from './child-reaper.ts';
import { capabilityMask, missingCapability } from './stdio-client-capabilities.ts';
import type { RewrittenBatch } from './stdio-ids.ts';
import type { ProcessLog } from './stdio-process.ts';
import { createStdioSupervisor } from './stdio-supervisor.ts';
import type { StdioState, SupervisorOptions } from './stdio-supervisor.ts';
import type { StreamedMessage, Upstream, UpstreamOutcome } from './upstream.ts';

export interface StdioDefinition {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * The server's declared environment as stored: values sealed by the vault
   * (purpose `server-env`) are opened here, when the process is set up.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory of the process; the gateway's own when absent. */
  readonly cwd?: string | undefined;
}

export interface StdioDeps {
  readonly log: ProcessLog;
  readonly reaper: ChildReaper;
  /** The only variables the child inherits from the gateway (PATH, HOME). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** Opens sealed environment values. */
  readonly vault?: Vault;
  /**
   * The variables whose values are one member's own secrets, read when a
   * process starts (this upstream is then that member's alone).
   */
  readonly memberEnv?: () => Promise<Record<string, string>>;
  readonly options?: Partial<SupervisorOptions & { graceMs: number; maxLineBytes: number }>;
}

export interface StdioUpstream extends Upstream {
  state(): StdioState;
}

const gone: UpstreamOutcome = { kind: 'session-gone', status: 404 };

/** `<process id>.<capability mask>`: process ids never contain the last dot. */
function parseSessionId(id: string): { processId: string; mask: number } {
  const dot = id.lastIndexOf('.');
  const mask = Number(id.slice(dot + 1));
  return { processId: id.slice(0, dot), mask: Number.isSafeInteger(mask) ? mask : 0 };
}

async function* restoring(
  messages: AsyncIterable<StreamedMessage>,
  batch: RewrittenBatch,
): AsyncGenerator<StreamedMessage> {
  try {
    for await (const item of messages)
      yield item.message ? { ...item, message: batch.restore(item.message) } : item;
  } finally {
    batch.release();
  }
}

export function createStdioUpstream(
  serverKey: string,
  definition: StdioDefinition,
  deps: StdioDeps,
): StdioUpstream {
  const options = deps.options ?? {};
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME']) {
    const value = deps.baseEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, openServerEnv(deps.vault, serverKey, definition.env));
  const supervisor = createStdioSupervisor(
    {
      serverKey,
      command: definition.command,
      args: definition.args,
      env,
      cwd: definition.cwd,
      log: deps.log,
      reaper: deps.reaper,
      prepareEnv: deps.memberEnv,
      graceMs: options.graceMs ?? 2_000,
      maxLineBytes: options.maxLineBytes ?? 16 * 1024 * 1024,
      screenServerRequest: (request, call) => {
        const missing = missingCapability(request, parseSessionId(call.sessionId ?? '').mask);
        return missing === undefined
          ? undefined
          : `The client of this call did not declare the ${missing} capability ${request.method} needs.`;
      },
    },
    {
      idleMs: options.idleMs ?? 10 * 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 60_000,
      stableMs: options.stableMs ?? 60_000,
      maxProcesses: options.maxProcesses ?? Number.POSITIVE_INFINITY,
    },
  );

  return {
    serverKey,
    fixedEra: 'legacy',
    state: () => supervisor.state(),

    async post(message, call) {
      const messages: JsonRpcMessage[] = Array.isArray(message) ? message : [message];
      const first = messages[0];
      if (!call.sessionId) {
        if (messages.length !== 1 || first === undefined || !isRequest(first)) return gone;
        if (first.method !== 'initialize') return gone;
        const generation = await supervisor.acquire(first, call);
        const answer = { jsonrpc: '2.0' as const, id: first.id, result: generation.result };
        return {
          kind: 'json',
          status: 200,
          sessionId: `${generation.process.id}.${capabilityMask(first.params?.capabilities)}`,
          message: answer,
          bytes: JSON.stringify(answer).length,
        };
      }
      const generation = supervisor.find(parseSessionId(call.sessionId).processId);
      if (generation === undefined) return gone;
      const { process, ids } = generation;
      // The process was initialized once, when it started.
      const batch = ids.rewrite(
        messages.filter((m) => !(isNotification(m) && m.method === 'notifications/initialized')),
      );
      const exchange =
        batch.requests.length > 0 ? process.router.expect(batch.requests, call) : undefined;
      try {
        for (const outgoing of batch.outgoing) {
          if (isNotification(outgoing) && outgoing.method === 'notifications/cancelled')
            process.router.forget(outgoing.params?.requestId);
          process.send(outgoing);
        }
      } catch (error) {
        const failure =
          error instanceof GatewayError
            ? error
            : new GatewayError('upstream_unavailable', undefined, { cause: error });
        exchange?.abandon(failure);
        batch.release();
        throw failure;
      }
      if (exchange === undefined) {
        batch.release();
        return { kind: 'accepted', status: 202, sessionId: call.sessionId };
      }
      return {
        kind: 'stream',
        status: 200,
        sessionId: call.sessionId,
        messages: restoring(exchange.messages, batch),
      };
    },

    async listen(call) {
      if (call.headers?.['last-event-id'] !== undefined || !call.sessionId) return null;
      const generation = supervisor.find(parseSessionId(call.sessionId).processId);
      if (generation === undefined)
        throw new GatewayError(
          'session_not_found',
          'The stdio server has restarted; initialize again.',
        );
      return generation.process.router.listen(call.signal);
    },

    // The process is shared by every downstream session: it ends by idle TTL, not per session.
    async terminate() {},

    async forward() {
      throw new GatewayError(
        'unsupported_transport',
        `The upstream ${serverKey} runs over stdio, which has no pass-through.`,
      );
    },

    close: () => supervisor.close(),
  };
}
