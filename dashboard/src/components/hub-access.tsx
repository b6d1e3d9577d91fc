/**
 * Who may reach one server: each member's server list, read from GET
 * …/members; managers grant or withdraw this server (PUT …/members/{userId},
 * role kept).
 */
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { accessWith, reaches } from '../hub/server-access';
import { useSession, useWorkspaceId } from '../session';
import { ErrorBanner } from './error-banner';

type Member = ApiResult<'/api/v1/workspaces/{workspaceId}/members', 'get'>[number];

export function ServerAccessTab({
  serverId,
  serverName,
}: {
  serverId: string;
  serverName: string;
}) {
  const workspaceId = useWorkspaceId();
  const { canManage, me } = useSession();
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const servers = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  async function toggle(member: Member, on: boolean) {
    if (servers.data === undefined) return;
    setBusy(member.userId);
    setError(undefined);
    setNotice(undefined);
    const next = accessWith(
      member.servers,
      serverId,
      on,
      servers.data.map((server) => server.id),
    );
    try {
      await api.put('/api/v1/workspaces/{workspaceId}/members/{userId}', {
        path: { workspaceId, userId: member.userId },
        body: { role: member.role, servers: next },
      });
      if (member.servers === null && next !== null)
        setNotice(
          `${member.email} now reaches a chosen list of servers, which does not grow with servers added later.`,
        );
      members.reload();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(undefined);
    }
  }

  if (members.error !== undefined)
    return <ErrorBanner error={members.error} retry={members.reload} />;
  if (members.data === undefined)
    return (
      <p className="loading" aria-live="polite">
        Loading members…
      </p>
    );
  const reaching = members.data.filter((member) => reaches(member.servers, serverId)).length;
  return (
    <>
      <p>
        {reaching} of {members.data.length} members may reach {serverName}. Roles and invitations
        are managed under <Link href="/members">Members</Link>; API keys can be narrowed further.
      </p>
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      {notice !== undefined ? (
        <div className="banner banner-warn" role="status">
          {notice}
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="hub-table">
          <caption className="visually-hidden">Members and their access to {serverName}</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Access</th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((member) => {
              const on = reaches(member.servers, serverId);
              const label = `${member.email} may reach ${serverName}`;
              return (
                <tr key={member.userId}>
                  <td>
                    {member.name ?? member.email}
                    {member.name !== null ? <div className="muted">{member.email}</div> : null}
                    {member.userId === me.user.id ? (
                      <span className="badge hub-you">you</span>
                    ) : null}
                  </td>
                  <td data-label="Role">{member.role}</td>
                  <td data-label="Access">
                    {canManage ? (
                      <label className="inline">
                        <input
                          type="checkbox"
                          checked={on}
                          disabled={busy !== undefined || servers.data === undefined}
                          onChange={(event) => void toggle(member, event.target.checked)}
                          aria-label={label}
                        />
                        {on ? (member.servers === null ? 'Yes (every server)' : 'Yes') : 'No'}
                      </label>
                    ) : (
                      <span className={on ? 'badge ok' : 'badge'}>{on ? 'Yes' : 'No'}</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
