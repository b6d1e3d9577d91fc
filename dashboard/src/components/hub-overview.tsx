/**
 * A server at a glance: its definition (never a secret value), its health over
 * the last day, its process on this gateway instance (stdio), and for
 * managers edit and delete.
 */
import { Link, useLocation } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { formatBytes, formatTime } from '../format';
import { healthLook, processLook } from '../hub/server-health';
import type { ProcessState } from '../hub/server-health';
import type { ServerDetail } from '../hub/server-form';
import { useSession, useWorkspaceId } from '../session';
import { ErrorBanner } from './error-banner';
import { HubBadge } from './hub-badge';
import { ConfirmButton } from './people-confirm';

const AUTH: Record<ServerDetail['upstream_auth']['mode'], string> = {
  none: 'None',
  headers: 'Static headers',
  oauth: 'OAuth',
};
const GRANT: Record<string, string> = {
  per_user: 'each member connects their own account',
  shared: 'one shared account for the workspace',
  client_credentials: 'client credentials (the gateway itself)',
};

function ProcessFacts({ state }: { state: ProcessState }) {
  return (
    <>
      <HubBadge look={processLook(state)} />{' '}
      <span className="muted">
        {state.pid !== null ? `pid ${state.pid}` : ''}
        {state.memory_rss_bytes !== null ? `, ${formatBytes(state.memory_rss_bytes)}` : ''}
        {state.restarts > 0 ? `, ${state.restarts} restarts` : ''}
      </span>
      {state.last_error !== null ? (
        <div className="muted">Last error: {state.last_error}</div>
      ) : null}
    </>
  );
}

function Status({ server }: { server: ServerDetail }) {
  const workspaceId = useWorkspaceId();
  const status = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/status', {
        path: { workspaceId, serverId: server.id },
        signal,
      }),
    [workspaceId, server.id],
  );
  const health = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/health', {
        path: { workspaceId },
        query: { server: server.id, limit: 5 },
        signal,
      }),
    [workspaceId, server.id],
  );
  const entry = health.data?.servers.find((item) => item.server === server.id);
  const look = healthLook(entry);
  return (
    <section className="panel hub-panel" aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      {status.error !== undefined ? (
        <ErrorBanner error={status.error} retry={status.reload} />
      ) : null}
      <dl className="facts">
        <dt>Health (24 h)</dt>
        <dd>
          {health.error !== undefined ? (
            <span className="muted">unavailable: {health.error.message}</span>
          ) : health.data === undefined ? (
            '…'
          ) : (
            <>
              <HubBadge look={look} /> <span className="muted">{look.detail}</span>
            </>
          )}
        </dd>
        <dt>Last request</dt>
        <dd>{formatTime(entry?.lastRequestAt)}</dd>
        {server.transport === 'stdio' ? (
          <>
            <dt>Process (this instance)</dt>
            <dd>
              {status.data?.process != null ? (
                <ProcessFacts state={status.data.process} />
              ) : status.data?.member_processes !== undefined ? (
                status.data.member_processes.length === 0 ? (
                  'No member process runs now.'
                ) : (
                  <ul className="hub-listing">
                    {status.data.member_processes.map((entry) => (
                      <li key={entry.user_id}>
                        {entry.email ?? entry.user_id}: <ProcessFacts state={entry} />
                      </li>
                    ))}
                  </ul>
                )
              ) : status.data !== undefined ? (
                'Not started on this instance yet; the first call starts it.'
              ) : (
                '…'
              )}
            </dd>
          </>
        ) : null}
      </dl>
      {entry !== undefined && entry.recentFailures.length > 0 ? (
        <>
          <h3>Recent failures</h3>
          <ul className="hub-listing">
            {entry.recentFailures.map((failure) => (
              <li key={failure.id}>
                {formatTime(failure.time)}
                {typeof failure.method === 'string' ? ` ${failure.method}` : ''}
                {typeof failure.target === 'string' ? ` ${failure.target}` : ''}
                {typeof failure.errorMessage === 'string' ? `: ${failure.errorMessage}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

export function ServerOverview({ server }: { server: ServerDetail }) {
  const workspaceId = useWorkspaceId();
  const { canManage, me } = useSession();
  const [, navigate] = useLocation();
  const auth = server.upstream_auth;
  const mayEdit = canManage && (server.transport !== 'stdio' || me.user.isAdmin);
  return (
    <>
      <Status server={server} />
      <section className="panel hub-panel" aria-labelledby="definition-heading">
        <h2 id="definition-heading">Definition</h2>
        <dl className="facts">
          <dt>Id</dt>
          <dd className="mono">{server.id}</dd>
          <dt>Transport</dt>
          <dd>{server.transport}</dd>
          {server.url !== null ? (
            <>
              <dt>Upstream URL</dt>
              <dd className="mono">{server.url}</dd>
            </>
          ) : null}
          {server.command !== null ? (
            <>
              <dt>Command</dt>
              <dd className="mono">{[server.command, ...server.args].join(' ')}</dd>
            </>
          ) : null}
          {server.cwd !== null ? (
            <>
              <dt>Working directory</dt>
              <dd className="mono">{server.cwd}</dd>
            </>
          ) : null}
          {server.env_names.length > 0 || server.member_env !== undefined ? (
            <>
              <dt>Environment</dt>
              <dd className="mono">
                {[
                  ...server.env_names,
                  ...Object.entries(server.member_env ?? {}).map(
                    ([name, entry]) => `${name} (member secret ${entry.member_secret})`,
                  ),
                ].join(', ')}
              </dd>
            </>
          ) : null}
          <dt>Timeout</dt>
          <dd>{server.timeout_ms} ms</dd>
          {server.transport !== 'stdio' ? (
            <>
              <dt>Upstream authentication</dt>
              <dd>
                {AUTH[auth.mode]}
                {auth.mode === 'headers' ? `: ${auth.header_names.join(', ')}` : ''}
                {auth.oauth !== undefined ? `: ${GRANT[auth.oauth.grant] ?? auth.oauth.grant}` : ''}
                {auth.forward_identity ? '; forwards the caller’s identity' : ''}
              </dd>
            </>
          ) : null}
          <dt>Request records</dt>
          <dd>
            {server.capture.mode}
            {server.capture.masks.length > 0 ? ` (masks ${server.capture.masks.join(', ')})` : ''}
          </dd>
        </dl>
        {auth.oauth !== undefined && auth.oauth.grant !== 'client_credentials' ? (
          <p className="field-hint">
            {auth.oauth.grant === 'per_user'
              ? 'Each member connects their own account under '
              : 'An admin connects the shared account under '}
            <Link href="/connections">My connections</Link>, or when a client first calls the
            server.
          </p>
        ) : null}
        {mayEdit ? (
          <div className="form-actions">
            <Link href={`/servers/${encodeURIComponent(server.id)}/edit`} className="button">
              Edit
            </Link>
            <ConfirmButton
              label="Delete"
              name={`Delete ${server.name}`}
              title={`Delete ${server.name}?`}
              confirmLabel="Delete server"
              onConfirm={async () => {
                await api.delete('/api/v1/workspaces/{workspaceId}/servers/{serverId}', {
                  path: { workspaceId, serverId: server.id },
                });
                navigate('/servers');
              }}
            >
              <p>
                Its URL stops working at once for every client. Access lists naming it are kept and
                match nothing.
              </p>
            </ConfirmButton>
          </div>
        ) : null}
      </section>
    </>
  );
}
