/**
 * A server's health as this gateway instance sees it: for a stdio server, its
 * process (state, pid, restarts, last error, resident memory). Each instance
 * runs its own processes, so behind a load balancer the answer describes the
 * instance that served the request.
 */
import { z } from 'zod';
import { processMemoryRssBytes } from '../upstream/process-memory.ts';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import { hasMemberEnv } from '../upstream/upstream-registry.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { findReachableServer, serverParams } from './servers-routes.ts';
import { can } from './roles.ts';
import { accessWorkspace } from './workspace-access.ts';

const processView = z.object({
  state: z
    .enum(['running', 'backing_off', 'stopped'])
    .describe(
      '`stopped`: no process now (not started yet, idle-stopped or exited); the next call starts one. `backing_off`: it crashed repeatedly and the next start waits `backoff_ms`.',
    ),
  pid: z.number().int().nullable(),
  restarts: z.number().int().describe('Unexpected exits since this instance set the server up.'),
  last_error: z.string().nullable().describe('Why the process last exited unexpectedly.'),
  backoff_ms: z.number().int().describe('How long the next start waits.'),
  memory_rss_bytes: z
    .number()
    .int()
    .nullable()
    .describe('Resident memory of the running process; null when none runs or not on Linux.'),
});

export const serverStatusView = z.object({
  transport: z.enum(['http', 'sse', 'stdio']),
  process: processView
    .nullable()
    .describe(
      'The stdio process on this instance; null for http and sse servers, for servers that run one process per member, and for stdio servers no call has set up on this instance yet.',
    ),
  member_processes: z
    .array(
      processView.extend({
        user_id: z.string(),
        email: z.string().nullable(),
      }),
    )
    .optional()
    .describe(
      "A server with member secrets runs one process per member: theirs on this instance (every member's for admins and owners, your own otherwise). Absent for other servers.",
    ),
});

type ProcessView = z.infer<typeof processView>;

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
      const serverKey = `${server.workspaceId}/${server.id}`;
      if (hasMemberEnv(server)) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        const everyone = can(access.actor, 'server.manage');
        const states = (deps.memberProcesses?.states(serverKey) ?? []).filter(
          (entry) => everyone || entry.userId === caller.user.id,
        );
        const users = await Promise.all(states.map((entry) => store.users.find(entry.userId)));
        return {
          transport: server.transport,
          process: null,
          member_processes: await Promise.all(
            states.map(async (entry, index) => ({
              user_id: entry.userId,
              email: users[index]?.email ?? null,
              ...(await showProcess(entry.state)),
            })),
          ),
        };
      }
      const state = server.transport === 'stdio' ? deps.serverStatus?.(serverKey) : undefined;
      return {
        transport: server.transport,
        process: state === undefined ? null : await showProcess(state),
      };
    },
  });
}
