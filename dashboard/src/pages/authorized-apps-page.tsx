/**
 * Authorized apps: the OAuth clients (Claude, Cursor, …) the caller let act
 * for them, with the servers each may reach; revoking one ends its tokens.
 * Admins and owners also see every member's apps that reach this workspace,
 * and revoke them there: the app loses this workspace's servers only.
 */
import { useState } from 'react';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { ConfirmButton } from '../components/people-confirm';
import { formatTime } from '../format';
import { useSession, useWorkspaceId } from '../session';

type App = ApiResult<'/api/v1/me/authorized-apps', 'get'>[number];

function AppsTable({
  caption,
  apps,
  owner,
  onRevoke,
  revokeNote,
}: {
  caption: string;
  apps: readonly (App & { userId?: string })[];
  owner?: (userId: string) => string;
  onRevoke?: (app: App) => Promise<void>;
  /** What revoking does, in the confirmation. */
  revokeNote?: string;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">App</th>
            {owner !== undefined ? <th scope="col">Member</th> : null}
            <th scope="col">Servers it may reach</th>
            <th scope="col">Since</th>
            <th scope="col">Until</th>
            {onRevoke !== undefined ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {apps.map((app) => {
            const whose = owner !== undefined ? ` of ${owner(app.userId ?? '')}` : '';
            return (
              <tr key={app.grantId}>
                <td>
                  <strong>{app.clientName}</strong>
                  {app.clientName !== app.clientId ? (
                    <div className="muted mono">{app.clientId}</div>
                  ) : null}
                  {app.scopes.includes('offline_access') ? (
                    <span className="badge">stays signed in</span>
                  ) : null}
                </td>
                {owner !== undefined ? <td>{owner(app.userId ?? '')}</td> : null}
                <td>
                  <ul className="people-plain-list">
                    {app.resources.map((resource) => (
                      <li key={resource.resource} className="mono">
                        {resource.resource}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{formatTime(app.createdAt)}</td>
                <td>{formatTime(app.expiresAt)}</td>
                {onRevoke !== undefined ? (
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      name={`Revoke ${app.clientName}${whose}`}
                      title={`Revoke ${app.clientName}?`}
                      confirmLabel="Revoke access"
                      onConfirm={() => onRevoke(app)}
                    >
                      <p>{revokeNote}</p>
                    </ConfirmButton>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function WorkspaceApps({
  workspaceId,
  revocations,
  onRevoked,
}: {
  workspaceId: string;
  /** Counts revocations made on this page, so both lists load again after each. */
  revocations: number;
  onRevoked: () => void;
}) {
  const apps = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/authorized-apps', {
        path: { workspaceId },
        signal,
      }),
    [workspaceId, revocations],
  );
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const emails = new Map((members.data ?? []).map((member) => [member.userId, member.email]));
  return (
    <section aria-labelledby="workspace-apps-title">
      <h2 id="workspace-apps-title">Members&apos; apps in this workspace</h2>
      {apps.error !== undefined ? <ErrorBanner error={apps.error} retry={apps.reload} /> : null}
      {apps.data !== undefined && apps.data.length === 0 ? (
        <p className="empty">No member has authorized an app here.</p>
      ) : null}
      {apps.data !== undefined && apps.data.length > 0 ? (
        <AppsTable
          caption="Members' apps"
          apps={apps.data}
          owner={(userId) => emails.get(userId) ?? userId}
          revokeNote="Its tokens for this workspace's servers stop working at once; its access to other workspaces stays. The member has to approve it again to reconnect it here."
          onRevoke={async (app) => {
            await api.delete('/api/v1/workspaces/{workspaceId}/authorized-apps/{grantId}', {
              path: { workspaceId, grantId: app.grantId },
            });
            onRevoked();
          }}
        />
      ) : null}
    </section>
  );
}

export function AuthorizedAppsPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const [revocations, setRevocations] = useState(0);
  const revoked = () => setRevocations((count) => count + 1);
  const mine = useApi((signal) => api.get('/api/v1/me/authorized-apps', { signal }), [revocations]);
  return (
    <>
      <PageHeader
        title="Authorized apps"
        description="Apps you let connect to the gateway as you, and what they may reach."
      />
      {mine.error !== undefined ? <ErrorBanner error={mine.error} retry={mine.reload} /> : null}
      {mine.data !== undefined && mine.data.length === 0 ? (
        <p className="empty">
          No app has access yet. An app asks for it the first time it connects to a server URL.
        </p>
      ) : null}
      {mine.data !== undefined && mine.data.length > 0 ? (
        <AppsTable
          caption="Your authorized apps"
          apps={mine.data}
          revokeNote="Its tokens stop working at once; it has to ask you again to connect."
          onRevoke={async (app) => {
            await api.delete('/api/v1/me/authorized-apps/{grantId}', {
              path: { grantId: app.grantId },
            });
            revoked();
          }}
        />
      ) : null}
      {canManage ? (
        <WorkspaceApps workspaceId={workspaceId} revocations={revocations} onRevoked={revoked} />
      ) : null}
    </>
  );
}
