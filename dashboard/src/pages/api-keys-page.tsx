/**
 * API keys of the workspace: create one (name, servers, expiry; the key is
 * shown once), list them with their scope and expiry, revoke. Admins and
 * owners see and revoke every member's keys.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { ConfirmButton } from '../components/people-confirm';
import { ServerAccessField } from '../components/people-server-access';
import { useServerChoices } from '../components/people-servers';
import { ShownOnce } from '../components/people-shown-once';
import { formatTime } from '../format';
import { EXPIRY_CHOICES, expiresAtFor, isExpired } from '../people/expiry';
import type { ExpiryChoice } from '../people/expiry';
import { describeAccess } from '../people/server-access';
import type { ServerAccess } from '../people/server-access';
import { useSession, useWorkspaceId } from '../session';

function CreateKey({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const { servers } = useServerChoices(workspaceId);
  const [name, setName] = useState('');
  const [access, setAccess] = useState<ServerAccess>(null);
  const [expiry, setExpiry] = useState<ExpiryChoice>('90');
  const [created, setCreated] = useState<{ name: string; key: string } | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const expiresAt = expiresAtFor(expiry, new Date());
      const answer = await api.post('/api/v1/workspaces/{workspaceId}/api-keys', {
        path: { workspaceId },
        body: {
          name,
          servers: access === null ? null : [...access],
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
      });
      setCreated({ name: answer.name, key: answer.key });
      setName('');
      onCreated();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      {created !== undefined ? (
        <ShownOnce
          title={`API key ${created.name}`}
          value={created.key}
          copyLabel="Copy API key"
          onDone={() => setCreated(undefined)}
        />
      ) : null}
      <form className="panel people-panel" onSubmit={(event) => void create(event)}>
        <h2>Create an API key</h2>
        <p className="field-hint">
          A key acts as you, in this workspace only: send it as <code>Authorization: Bearer …</code>{' '}
          to a server&apos;s MCP endpoint or to the API.
        </p>
        <label htmlFor="key-name">Name</label>
        <input
          id="key-name"
          type="text"
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <ServerAccessField
          legend="Servers it reaches"
          servers={servers}
          value={access}
          onChange={setAccess}
          allLabel="Every server I reach"
        />
        <label htmlFor="key-expiry">Expires after</label>
        <select
          id="key-expiry"
          value={expiry}
          onChange={(event) => setExpiry(event.target.value as ExpiryChoice)}
        >
          {EXPIRY_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        {error !== undefined ? <ErrorBanner error={error} /> : null}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
    </>
  );
}

export function ApiKeysPage() {
  const workspaceId = useWorkspaceId();
  const { canManage, me } = useSession();
  const keys = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/api-keys', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const members = useApi(
    async (signal) =>
      canManage
        ? api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal })
        : [],
    [workspaceId, canManage],
  );
  const { servers } = useServerChoices(workspaceId);
  const names = new Map(servers.map((server) => [server.id, server.name]));
  const emails = new Map((members.data ?? []).map((member) => [member.userId, member.email]));
  const now = new Date();
  const rows = [...(keys.data ?? [])].sort(
    (a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null),
  );

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys for scripts, CI and clients that cannot sign in with OAuth."
      />
      <CreateKey workspaceId={workspaceId} onCreated={keys.reload} />
      {keys.error !== undefined ? <ErrorBanner error={keys.error} retry={keys.reload} /> : null}
      {keys.data !== undefined && rows.length === 0 ? (
        <p className="empty">No API keys yet.</p>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                {canManage ? <th scope="col">Owner</th> : null}
                <th scope="col">Servers</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((key) => {
                const expired = isExpired(key.expiresAt, now);
                return (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td className="mono">{key.prefix}…</td>
                    {canManage ? (
                      <td>
                        {key.userId === me.user.id ? 'you' : (emails.get(key.userId) ?? key.userId)}
                      </td>
                    ) : null}
                    <td>{describeAccess(key.servers, names)}</td>
                    <td>{formatTime(key.createdAt)}</td>
                    <td>{key.expiresAt === null ? 'Never' : formatTime(key.expiresAt)}</td>
                    <td className="actions">
                      {key.revokedAt !== null ? (
                        <span className="badge error">revoked</span>
                      ) : expired ? (
                        <span className="badge warn">expired</span>
                      ) : (
                        <ConfirmButton
                          label="Revoke"
                          name={`Revoke ${key.name}`}
                          title={`Revoke ${key.name}?`}
                          confirmLabel="Revoke key"
                          onConfirm={async () => {
                            await api.delete(
                              '/api/v1/workspaces/{workspaceId}/api-keys/{apiKeyId}',
                              { path: { workspaceId, apiKeyId: key.id } },
                            );
                            keys.reload();
                          }}
                        >
                          <p>Everything using this key is refused from the next request on.</p>
                        </ConfirmButton>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
