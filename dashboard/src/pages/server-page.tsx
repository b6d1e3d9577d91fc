/**
 * One server (`/servers/:server/:tab?`): its URL to copy, and tabs for the
 * overview, connecting a client, capabilities, security and access.
 */
import { Link, Redirect, useParams } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { CopyField } from '../components/copy-button';
import { ErrorBanner } from '../components/error-banner';
import { ServerAccessTab } from '../components/hub-access';
import { ConnectGuide } from '../components/hub-connect';
import { ServerOverview } from '../components/hub-overview';
import { PageHeader } from '../components/page-header';
import { useWorkspaceId } from '../session';
import { ServerCapabilities } from './server-capabilities';
import { ServerSecurity } from './server-security';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'connect', label: 'Connect' },
  { id: 'capabilities', label: 'Capabilities' },
  { id: 'security', label: 'Security' },
  { id: 'access', label: 'Access' },
] as const;
type TabId = (typeof TABS)[number]['id'];

const isTab = (value: string): value is TabId => TABS.some((tab) => tab.id === value);

export function ServerPage() {
  const workspaceId = useWorkspaceId();
  const params = useParams<{ server: string; tab?: string }>();
  const serverId = params.server;
  const tab = params.tab ?? 'overview';
  const detail = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}', {
        path: { workspaceId, serverId },
        signal,
      }),
    [workspaceId, serverId],
  );
  const base = `/servers/${encodeURIComponent(serverId)}`;
  if (!isTab(tab)) return <Redirect to={base} replace />;
  const server = detail.data?.id === serverId ? detail.data : undefined;
  return (
    <>
      <p className="hub-crumbs">
        <Link href="/servers">MCP Hub</Link> /
      </p>
      <PageHeader
        title={server?.name ?? serverId}
        description={
          server !== undefined ? (
            <span className="hub-endpoint">
              <span>MCP URL</span> <CopyField value={server.endpoint} label="Copy URL" />
            </span>
          ) : undefined
        }
      />
      {detail.error !== undefined ? (
        <ErrorBanner error={detail.error} retry={detail.reload} />
      ) : server === undefined ? (
        <p className="loading" aria-live="polite">
          Loading…
        </p>
      ) : (
        <>
          <nav className="tabs" aria-label="Server views">
            {TABS.map((entry) => (
              <Link
                key={entry.id}
                href={entry.id === 'overview' ? base : `${base}/${entry.id}`}
                aria-current={entry.id === tab ? 'page' : undefined}
              >
                {entry.label}
              </Link>
            ))}
          </nav>
          {tab === 'overview' ? <ServerOverview server={server} /> : null}
          {tab === 'connect' ? <ConnectGuide endpoint={server.endpoint} name={server.id} /> : null}
          {tab === 'capabilities' ? <ServerCapabilities server={server} /> : null}
          {tab === 'security' ? <ServerSecurity server={server} /> : null}
          {tab === 'access' ? (
            <ServerAccessTab serverId={server.id} serverName={server.name} />
          ) : null}
        </>
      )}
    </>
  );
}
