/**
 * A server's health as this gateway instance sees it: for a stdio server, its
 * process (state, pid, restarts, last error, resident memory). Each instance
 * runs its own processes, so behind a load balancer the answer describes the
 * instance that served the request.
 */
import { z } from 'zod';
import { processMemoryRssBytes } from '../upstream/process-memory.ts';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { findReachableServer, serverParams } from './servers-routes.ts';

export const serverStatusView = z.object({
  transport: z.enum(['http', 'sse', 'stdio']),
  process: z
    .object({
      state: z
        .enum(['running', 'backing_off', 'stopped'])
        .describe(
          '`stopped`: no process now (not started yet, idle-stopped or exited); the next call starts one. `backing_off`: it crashed repeatedly and the next start waits `backoff_ms`.',
        ),
      pid: z.number().int().nullable(),
      restarts: z
        .number()
        .int()
        .describe('Unexpected exits since this instance set the server up.'),
      last_error: z.string().nullable().describe('Why the process last exited unexpectedly.'),
      backoff_ms: z.number().int().describe('How long the next start waits.'),
      memory_rss_bytes: z
        .number()
        .int()
        .nullable()
        .describe('Resident memory of the running process; null when none runs or not on Linux.'),
    })
    .nullable()
    .describe(
      'The stdio process on this instance; null for http and sse servers, and for stdio servers no call has set up on this instance yet.',
    ),
});

type ProcessView = NonNullable<z.infer<typeof serverStatusView>['process']>;

async function showProcess(state: StdioState): Promise<ProcessView> {
  const pid = state.running ? (state.pid ?? null) : null;
  return {
    state: state.running ? 'running' : state.backoffMs > 0 ? 'backing_off' : 'stopped',
    pid,
    restarts: state.restarts,
    last_error: state.lastError ?? null,
    backoff_ms: Math.round(state.backoffMs),
    memory_rss_bytes: pid === null ? null : await processMemoryRssBytes(pid),
  };
}

export function createServerStatusRoute(deps: AdminDeps): ApiRoute {
  const { store } = deps;
  return defineRoute({
    method: 'GET',
    path: '/workspaces/:workspaceId/servers/:serverId/status',
    tag: 'servers',
    summary:
      "A server you may reach: its stdio process's state, pid, restarts, last error and memory. Per instance: each gateway instance runs its own processes and answers for itself.",
    params: serverParams,
    response: serverStatusView,
    async handle({ caller, params }) {
      const server = await findReachableServer(store, caller, params);
      const state =
        server.transport === 'stdio'
          ? deps.serverStatus?.(`${server.workspaceId}/${server.id}`)
          : undefined;
      return {
        transport: server.transport,
        process: state === undefined ? null : await showProcess(state),
      };
    },
  });
}
