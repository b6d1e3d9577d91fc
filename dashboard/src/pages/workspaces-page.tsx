/** Every workspace of the instance (instance administrators create them here). */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { formatTime } from '../format';
import { isWorkspaceId, suggestWorkspaceId } from '../people/workspace-id';
import { useSession } from '../session';

function CreateWorkspace({ onCreated }: { onCreated: () => void }) {
  const { reloadMe } = useSession();
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [idTouched, setIdTouched] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [created, setCreated] = useState<{ id: string; name: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const shownId = idTouched ? id : suggestWorkspaceId(name);
  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const workspace = await api.post('/api/v1/workspaces', { body: { id: shownId, name } });
      setCreated({ id: workspace.id, name: workspace.name });
      setName('');
      setId('');
      setIdTouched(false);
      onCreated();
      // The switcher lists the caller's memberships: the creator is now the owner.
      reloadMe();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="panel people-panel" onSubmit={(event) => void create(event)}>
      <h2>Create a workspace</h2>
      <label htmlFor="workspace-name">Name</label>
      <input
        id="workspace-name"
        type="text"
        required
        maxLength={200}
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      <label htmlFor="workspace-id">Id</label>
      <input
        id="workspace-id"
        type="text"
        required
        pattern="[a-z0-9][a-z0-9\-]{0,62}"
        aria-describedby="workspace-id-hint"
        value={shownId}
        onChange={(event) => {
          setIdTouched(true);
          setId(event.target.value);
        }}
      />
      <p className="field-hint" id="workspace-id-hint">
        Part of every server URL (<code>/{shownId === '' ? 'id' : shownId}/&lt;server&gt;/mcp</code>
        ): lower-case letters, digits and dashes. It cannot change later.
      </p>
      {shownId !== '' && !isWorkspaceId(shownId) ? (
        <p className="banner banner-warn">This id is not valid yet.</p>
      ) : null}
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      {created !== undefined ? (
        <p className="banner banner-ok" role="status">
          Created {created.name}.{' '}
          <Link href={`~/w/${encodeURIComponent(created.id)}/servers`}>Open it</Link>
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          Create workspace
        </button>
      </div>
    </form>
  );
}

export function WorkspacesPage() {
  const { me } = useSession();
  const workspaces = useApi((signal) => api.get('/api/v1/workspaces', { signal }), []);
  return (
    <>
      <PageHeader
        title="Workspaces"
        description={
          me.user.isAdmin
            ? 'Every workspace of this instance.'
            : 'The workspaces you belong to. Instance administrators create new ones.'
        }
      />
      {me.user.isAdmin ? <CreateWorkspace onCreated={workspaces.reload} /> : null}
      {workspaces.error !== undefined ? (
        <ErrorBanner error={workspaces.error} retry={workspaces.reload} />
      ) : null}
      {workspaces.data !== undefined ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Workspaces</caption>
            <thead>
              <tr>
                <th scope="col">Workspace</th>
                <th scope="col">Id</th>
                <th scope="col">Your role</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {workspaces.data.map((workspace) => (
                <tr key={workspace.id}>
                  <td>
                    <Link href={`~/w/${encodeURIComponent(workspace.id)}/servers`}>
                      {workspace.name}
                    </Link>
                  </td>
                  <td className="mono">{workspace.id}</td>
                  <td>{workspace.role ?? 'administrator'}</td>
                  <td>{formatTime(workspace.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
