/**
 * Members of the workspace with their role and server access. Admins and
 * owners change roles and access, remove members, and invite people.
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { ConfirmButton } from '../components/people-confirm';
import { Invitations } from '../components/people-invitations';
import { RoleSelect } from '../components/people-role-select';
import { ServerAccessField } from '../components/people-server-access';
import type { ServerChoice } from '../components/people-server-access';
import { useMayTouchRole } from '../components/people-may-touch';
import { useServerChoices } from '../components/people-servers';
import type { RoleName } from '../people/roles';
import { describeAccess } from '../people/server-access';
import type { ServerAccess } from '../people/server-access';
import { useSession, useWorkspaceId } from '../session';

type Member = ApiResult<'/api/v1/workspaces/{workspaceId}/members', 'get'>[number];

function EditMember({
  workspaceId,
  member,
  servers,
  onSaved,
  onCancel,
}: {
  workspaceId: string;
  member: Member;
  servers: readonly ServerChoice[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const mayTouch = useMayTouchRole();
  const [role, setRole] = useState<RoleName>(member.role);
  const [access, setAccess] = useState<ServerAccess>(member.servers);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  async function save() {
    setBusy(true);
    setError(undefined);
    try {
      await api.put('/api/v1/workspaces/{workspaceId}/members/{userId}', {
        path: { workspaceId, userId: member.userId },
        body: { role, servers: access === null ? null : [...access] },
      });
      onSaved();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="panel people-panel"
      aria-label={`Edit ${member.email}`}
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <h2>Edit {member.name ?? member.email}</h2>
      <RoleSelect
        id="member-role"
        label="Role"
        value={role}
        onChange={setRole}
        offered={mayTouch}
      />
      <ServerAccessField
        legend="Server access"
        servers={servers}
        value={access}
        onChange={setAccess}
      />
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function MembersPage() {
  const workspaceId = useWorkspaceId();
  const { canManage, me, reloadMe } = useSession();
  const [, navigate] = useLocation();
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const { servers, error: serversError } = useServerChoices(workspaceId);
  const mayTouch = useMayTouchRole();
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const names = new Map(servers.map((server) => [server.id, server.name]));
  const editedMember = members.data?.find((member) => member.userId === editing);

  return (
    <>
      <PageHeader
        title="Members"
        description="Who belongs to this workspace, their role, and the servers they reach."
      />
      {members.error !== undefined ? (
        <ErrorBanner error={members.error} retry={members.reload} />
      ) : null}
      {serversError !== undefined ? <ErrorBanner error={serversError} /> : null}
      {editedMember !== undefined ? (
        <EditMember
          key={editedMember.userId}
          workspaceId={workspaceId}
          member={editedMember}
          servers={servers}
          onSaved={() => {
            setEditing(undefined);
            members.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
      {members.data === undefined ? (
        members.loading ? (
          <p className="loading">Loading members…</p>
        ) : null
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Servers</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((member) => (
                <tr key={member.userId}>
                  <td>
                    {member.name ?? member.email}
                    {member.name !== null ? <div className="muted">{member.email}</div> : null}
                    {member.userId === me.user.id ? (
                      <span className="badge people-you">you</span>
                    ) : null}
                  </td>
                  <td>{member.role}</td>
                  <td>{describeAccess(member.servers, names)}</td>
                  {canManage && !mayTouch(member.role) ? <td /> : null}
                  {!canManage ? (
                    <td className="actions">
                      {member.userId === me.user.id ? (
                        <ConfirmButton
                          label="Leave"
                          name="Leave this workspace"
                          title="Leave this workspace?"
                          confirmLabel="Leave workspace"
                          onConfirm={async () => {
                            await api.delete('/api/v1/workspaces/{workspaceId}/members/{userId}', {
                              path: { workspaceId, userId: member.userId },
                            });
                            reloadMe();
                            navigate('~/account');
                          }}
                        >
                          <p>You lose access at once, and your API keys here are revoked.</p>
                        </ConfirmButton>
                      ) : null}
                    </td>
                  ) : null}
                  {canManage && mayTouch(member.role) ? (
                    <td className="actions">
                      <button
                        type="button"
                        aria-label={`Edit ${member.email}`}
                        onClick={() => setEditing(member.userId)}
                      >
                        Edit
                      </button>
                      <ConfirmButton
                        label="Remove"
                        name={`Remove ${member.email}`}
                        title={`Remove ${member.email}?`}
                        confirmLabel="Remove member"
                        onConfirm={async () => {
                          await api.delete('/api/v1/workspaces/{workspaceId}/members/{userId}', {
                            path: { workspaceId, userId: member.userId },
                          });
                          members.reload();
                        }}
                      >
                        <p>
                          They lose access to this workspace at once, and their API keys here are
                          revoked.
                        </p>
                      </ConfirmButton>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage ? <Invitations workspaceId={workspaceId} servers={servers} /> : null}
    </>
  );
}
