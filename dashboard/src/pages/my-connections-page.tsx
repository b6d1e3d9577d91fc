/**
 * The caller's upstream accounts: per OAuth server, the connection their
 * calls use (connect, reconnect, disconnect), their own values of local
 * servers' member secrets, and for managers every connection of the workspace.
 */
import { useLocation } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { ConnectionsTable } from '../components/people-connections-table';
import { MemberSecrets } from '../components/people-member-secrets';
import { useSession, useWorkspaceId } from '../session';

function WorkspaceConnections({
  workspaceId,
  returnTo,
}: {
  workspaceId: string;
  returnTo: string;
}) {
  const all = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/connections', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const emails = new Map((members.data ?? []).map((member) => [member.userId, member.email]));
  return (
    <section aria-labelledby="workspace-connections-title">
      <h2 id="workspace-connections-title">Every connection in this workspace</h2>
      {all.error !== undefined ? <ErrorBanner error={all.error} retry={all.reload} /> : null}
      {all.data !== undefined && all.data.length === 0 ? (
        <p className="empty">Nobody has connected an upstream account yet.</p>
      ) : null}
      {all.data !== undefined && all.data.length > 0 ? (
        <ConnectionsTable
          caption="Every connection in this workspace"
          connections={all.data}
          returnTo={returnTo}
          ownerName={(userId) => emails.get(userId) ?? userId}
          // Admins manage the shared connections; members' own ones are theirs to change.
          mayConnect={(connection) => connection.ownerId === null}
          onChanged={all.reload}
        />
      ) : null}
    </section>
  );
}

export function MyConnectionsPage() {
  const workspaceId = useWorkspaceId();
  const { canManage, membership } = useSession();
  // Member secrets belong to a membership, and viewers call nothing (the API refuses both).
  const maySetSecrets = membership !== undefined && membership.role !== 'viewer';
  const [location] = useLocation();
  const returnTo = `/w/${encodeURIComponent(workspaceId)}${location}`;
  const mine = useApi((signal) => api.get('/api/v1/me/connections', { signal }), []);
  const servers = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const here = (mine.data ?? []).filter((connection) => connection.workspaceId === workspaceId);

  return (
    <>
      <PageHeader
        title="My connections"
        description="The upstream accounts the gateway uses when you call a server that signs you in."
      />
      {mine.error !== undefined ? <ErrorBanner error={mine.error} retry={mine.reload} /> : null}
      {mine.data === undefined && mine.loading ? <p className="loading">Loading…</p> : null}
      {mine.data !== undefined && here.length === 0 ? (
        <p className="empty">No server of this workspace needs an upstream account.</p>
      ) : null}
      {here.length > 0 ? (
        <ConnectionsTable
          caption="Your connections"
          connections={here}
          returnTo={returnTo}
          mayConnect={(connection) => connection.grant === 'per_user' || canManage}
          onChanged={mine.reload}
        />
      ) : null}
      {servers.error !== undefined ? <ErrorBanner error={servers.error} /> : null}
      {maySetSecrets ? (
        <MemberSecrets workspaceId={workspaceId} servers={servers.data ?? []} />
      ) : null}
      {canManage ? <WorkspaceConnections workspaceId={workspaceId} returnTo={returnTo} /> : null}
    </>
  );
}
