/**
 * The MCP Hub: every server of the workspace the caller may reach, with its
 * health over the last day, its process state (stdio), and the URL clients
 * connect to.
 */
import { Link } from 'wouter';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { CopyField } from '../components/copy-button';
import { ErrorBanner } from '../components/error-banner';
import { HubBadge } from '../components/hub-badge';
import { PageHeader } from '../components/page-header';
import { formatTime } from '../format';
import { healthLook, statusLook } from '../hub/server-health';
import type { ServerStatus } from '../hub/server-health';
import { useSession, useWorkspaceId } from '../session';

type Server = ApiResult<'/api/v1/workspaces/{workspaceId}/servers', 'get'>[number];

const TRANSPORTS: Record<Server['transport'], string> = {
  http: 'HTTP',
  sse: 'SSE (legacy)',
  stdio: 'stdio',
};

/** Each server's process state; one that fails to load is just not shown. */
function useStatuses(workspaceId: string, servers: readonly Server[] | undefined) {
  const stdio = (servers ?? []).filter((server) => server.transport === 'stdio');
  return useApi(
    async (signal) => {
      const answers = await Promise.all(
        stdio.map((server) =>
          api
            .get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/status', {
              path: { workspaceId, serverId: server.id },
              signal,
            })
            .catch(() => undefined),
        ),
      );
      return new Map<string, ServerStatus | undefined>(
        stdio.map((server, index) => [server.id, answers[index]]),
      );
    },
    [workspaceId, stdio.map((server) => server.id)],
  );
}

function EmptyHub({ canManage }: { canManage: boolean }) {
  return (
    <section className="panel hub-panel">
      <h2>No MCP servers here yet</h2>
      {canManage ? (
        <>
          <p>
            Register a server once and everyone in the workspace reaches it through the gateway: a
            remote server by its URL (Streamable HTTP or legacy SSE), or a local command the gateway
            runs (stdio). Each server gets its own URL to paste into Claude, Cursor or VS Code.
          </p>
          <Link href="/servers/new" className="button primary">
            Add your first server
          </Link>
        </>
      ) : (
        <p>
          No server of this workspace is open to you yet. Ask an admin or owner of the workspace to
          add one or to give you access.
        </p>
      )}
    </section>
  );
}

export function ServersPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const servers = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const health = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/health', {
        path: { workspaceId },
        query: { limit: 3 },
        signal,
      }),
    [workspaceId],
  );
  const statuses = useStatuses(workspaceId, servers.data);
  const healthOf = new Map((health.data?.servers ?? []).map((entry) => [entry.server, entry]));
  return (
    <>
      <PageHeader
        title="MCP Hub"
        description="The MCP servers of this workspace. Paste a server's URL into your AI client to use it through the gateway."
        actions={
          canManage ? (
            <Link href="/servers/new" className="button primary">
              Add server
            </Link>
          ) : undefined
        }
      />
      {servers.error !== undefined ? (
        <ErrorBanner error={servers.error} retry={servers.reload} />
      ) : null}
      {health.error !== undefined ? (
        <div className="banner banner-warn" role="status">
          Health is unavailable: {health.error.message}
        </div>
      ) : null}
      {servers.data === undefined ? (
        servers.error === undefined ? (
          <p className="loading" aria-live="polite">
            Loading servers…
          </p>
        ) : null
      ) : servers.data.length === 0 ? (
        <EmptyHub canManage={canManage} />
      ) : (
        <div className="table-wrap">
          <table className="hub-table">
            <caption className="visually-hidden">MCP servers</caption>
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Transport</th>
                <th scope="col">Health (24 h)</th>
                <th scope="col">MCP URL</th>
              </tr>
            </thead>
            <tbody>
              {servers.data.map((server) => {
                const entry = healthOf.get(server.id);
                const process = statusLook(statuses.data?.get(server.id));
                const failure = entry?.recentFailures[0];
                return (
                  <tr key={server.id}>
                    <td>
                      <Link href={`/servers/${encodeURIComponent(server.id)}`}>{server.name}</Link>
                      <div className="muted mono">{server.id}</div>
                    </td>
                    <td data-label="Transport">{TRANSPORTS[server.transport]}</td>
                    <td data-label="Health (24 h)">
                      <div className="actions">
                        {health.data !== undefined ? <HubBadge look={healthLook(entry)} /> : null}
                        {process !== undefined ? <HubBadge look={process} /> : null}
                      </div>
                      {failure !== undefined ? (
                        <div className="muted hub-failure">
                          Last failure {formatTime(failure.time)}
                          {typeof failure.errorMessage === 'string'
                            ? `: ${failure.errorMessage}`
                            : ''}
                        </div>
                      ) : null}
                    </td>
                    <td data-label="MCP URL">
                      <CopyField value={server.endpoint} label="Copy URL" />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
