/**
 * Invitations of a workspace: invite by email with a role and server access
 * (the answer carries the link, once), the pending ones, revoke.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { formatTime } from '../format';
import { isExpired } from '../people/expiry';
import type { RoleName } from '../people/roles';
import { describeAccess } from '../people/server-access';
import type { ServerAccess } from '../people/server-access';
import { ErrorBanner } from './error-banner';
import { ConfirmButton } from './people-confirm';
import { useMayTouchRole } from './people-may-touch';
import { RoleSelect } from './people-role-select';
import { ServerAccessField } from './people-server-access';
import type { ServerChoice } from './people-server-access';
import { ShownOnce } from './people-shown-once';

export function Invitations({
  workspaceId,
  servers,
}: {
  workspaceId: string;
  servers: readonly ServerChoice[];
}) {
  const invitations = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/invitations', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const mayTouch = useMayTouchRole();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<RoleName>('member');
  const [access, setAccess] = useState<ServerAccess>(null);
  const [link, setLink] = useState<{ email: string; url: string } | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const names = new Map(servers.map((server) => [server.id, server.name]));
  const now = new Date();
  const pending = (invitations.data ?? []).filter(
    (invitation) =>
      invitation.acceptedAt === null &&
      invitation.revokedAt === null &&
      !isExpired(invitation.expiresAt, now),
  );

  async function invite(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post('/api/v1/workspaces/{workspaceId}/invitations', {
        path: { workspaceId },
        body: { email, role, servers: access === null ? null : [...access] },
      });
      setLink({ email: created.email, url: created.url });
      setEmail('');
      invitations.reload();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      {link !== undefined ? (
        <ShownOnce
          title={`Invitation link for ${link.email}`}
          value={link.url}
          copyLabel="Copy invitation link"
          onDone={() => setLink(undefined)}
        />
      ) : null}
      <form className="panel people-panel" onSubmit={(event) => void invite(event)}>
        <h3>Invite someone</h3>
        <label htmlFor="invite-email">Email</label>
        <input
          id="invite-email"
          type="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <RoleSelect
          id="invite-role"
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
        <p className="field-hint">
          The link works once, for a week. Send it yourself: the gateway sends no email.
        </p>
        {error !== undefined ? <ErrorBanner error={error} /> : null}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            Create invitation
          </button>
        </div>
      </form>
      {invitations.error !== undefined ? (
        <ErrorBanner error={invitations.error} retry={invitations.reload} />
      ) : null}
      {pending.length === 0 ? (
        <p className="empty">No pending invitations.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Servers</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pending.map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email}</td>
                  <td>{invitation.role}</td>
                  <td>{describeAccess(invitation.servers, names)}</td>
                  <td>{formatTime(invitation.expiresAt)}</td>
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      name={`Revoke invitation for ${invitation.email}`}
                      title="Revoke this invitation?"
                      confirmLabel="Revoke"
                      onConfirm={async () => {
                        await api.delete(
                          '/api/v1/workspaces/{workspaceId}/invitations/{invitationId}',
                          { path: { workspaceId, invitationId: invitation.id } },
                        );
                        invitations.reload();
                      }}
                    >
                      <p>The link sent to {invitation.email} stops working.</p>
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
