/**
 * The caller's own values of stdio servers' member secrets: set, replace,
 * remove. Values go in, never come back: the API says only whether one is set.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { formatTime } from '../format';
import { ErrorBanner } from './error-banner';
import { ConfirmButton } from './people-confirm';
import type { ServerChoice } from './people-server-access';

type Secret = ApiResult<
  '/api/v1/workspaces/{workspaceId}/servers/{serverId}/member-secrets',
  'get'
>['secrets'][number];

function SecretRow({
  workspaceId,
  server,
  secret,
  onChanged,
}: {
  workspaceId: string;
  server: ServerChoice;
  secret: Secret;
  onChanged: () => void;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const id = `secret-${server.id}-${secret.name}`;
  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.put('/api/v1/workspaces/{workspaceId}/servers/{serverId}/member-secrets', {
        path: { workspaceId, serverId: server.id },
        body: { [secret.name]: value },
      });
      setValue('');
      onChanged();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="panel people-panel" onSubmit={(event) => void save(event)}>
      <h3>
        <span className="mono">{secret.name}</span>{' '}
        {secret.is_set ? (
          <span className="badge ok">set</span>
        ) : (
          <span className="badge warn">not set</span>
        )}
      </h3>
      {secret.description !== null ? <p>{secret.description}</p> : null}
      <p className="field-hint">
        Sets {secret.env_names.join(', ')} of your own process of {server.name}
        {secret.updated_at !== null ? `; last changed ${formatTime(secret.updated_at)}` : ''}.
      </p>
      <label htmlFor={id}>
        {secret.is_set ? 'New value' : 'Value'} of {secret.name} for {server.name}
      </label>
      <input
        id={id}
        type="password"
        autoComplete="off"
        required
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {secret.is_set ? 'Replace' : 'Save'}
        </button>
        {secret.is_set ? (
          <ConfirmButton
            label="Remove"
            name={`Remove ${secret.name} for ${server.name}`}
            title={`Remove your ${secret.name}?`}
            confirmLabel="Remove value"
            onConfirm={async () => {
              await api.delete(
                '/api/v1/workspaces/{workspaceId}/servers/{serverId}/member-secrets/{name}',
                { path: { workspaceId, serverId: server.id, name: secret.name } },
              );
              onChanged();
            }}
          >
            <p>Your process of {server.name} restarts without it.</p>
          </ConfirmButton>
        ) : null}
      </div>
    </form>
  );
}

/** Every stdio server of the workspace that declares member secrets, with the caller's state. */
export function MemberSecrets({
  workspaceId,
  servers,
}: {
  workspaceId: string;
  servers: readonly (ServerChoice & { transport: string })[];
}) {
  const stdio = servers.filter((server) => server.transport === 'stdio');
  const loaded = useApi(
    async (signal) =>
      Promise.all(
        stdio.map(async (server) => ({
          server,
          secrets: (
            await api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/member-secrets', {
              path: { workspaceId, serverId: server.id },
              signal,
            })
          ).secrets,
        })),
      ),
    [workspaceId, stdio.map((server) => server.id)],
  );
  const withSecrets = (loaded.data ?? []).filter((entry) => entry.secrets.length > 0);
  if (loaded.error !== undefined) return <ErrorBanner error={loaded.error} retry={loaded.reload} />;
  if (withSecrets.length === 0) return null;
  return (
    <section aria-labelledby="member-secrets-title">
      <h2 id="member-secrets-title">Your secrets for local servers</h2>
      <p className="muted">
        These servers run one process per member with your own values. Values are stored encrypted
        and never shown again.
      </p>
      {withSecrets.map(({ server, secrets }) =>
        secrets.map((secret) => (
          <SecretRow
            key={`${server.id}/${secret.name}`}
            workspaceId={workspaceId}
            server={server}
            secret={secret}
            onChanged={loaded.reload}
          />
        )),
      )}
    </section>
  );
}
