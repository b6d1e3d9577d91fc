/**
 * Add (`/servers/new`) and edit (`/servers/:server/edit`) a server. The body
 * is a server entry of the config file; the API validates it and names the
 * fields it refuses, shown next to them. "Test connection" tries the
 * definition without saving it.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { HubProbe } from '../components/hub-probe';
import { ServerFormFields } from '../components/hub-server-fields';
import { PageHeader } from '../components/page-header';
import {
  emptyServerForm,
  fieldIssuesOf,
  formFromDetail,
  serverBodyFromForm,
} from '../hub/server-form';
import type { FieldIssue, ServerForm } from '../hub/server-form';
import { useSession, useWorkspaceId } from '../session';

function Editor({ initial, editing }: { initial: ServerForm; editing: boolean }) {
  const workspaceId = useWorkspaceId();
  const { me } = useSession();
  const [, navigate] = useLocation();
  const [form, setForm] = useState(initial);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ServerForm>) => setForm((current) => ({ ...current, ...patch }));

  async function save(event: FormEvent) {
    event.preventDefault();
    const { body, issues: local } = serverBodyFromForm(form);
    setIssues(local);
    setError(undefined);
    if (local.length > 0) return;
    setBusy(true);
    try {
      const saved = editing
        ? await api.put('/api/v1/workspaces/{workspaceId}/servers/{serverId}', {
            path: { workspaceId, serverId: body.id },
            body,
          })
        : await api.post('/api/v1/workspaces/{workspaceId}/servers', {
            path: { workspaceId },
            body,
          });
      navigate(`/servers/${encodeURIComponent(saved.id)}`);
    } catch (reason) {
      const failure = reason instanceof Error ? reason : new Error(String(reason));
      setIssues(fieldIssuesOf(failure));
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void save(event)} noValidate className="hub-form">
      {editing ? (
        <div className="banner banner-warn" role="note">
          Secret values (header values, the client secret, environment values) are never shown.
          Leave a stored one empty to keep it, type a new one to replace it, or remove its row.
          Moving the URL to another host asks for them again.
        </div>
      ) : null}
      {issues.length > 0 ? (
        <div className="banner banner-error" role="alert">
          <div>
            <strong>The server was not saved.</strong> Fix these fields:
            <ul>
              {issues.map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  <span className="mono">{issue.path.replace(/^body\./, '')}</span>: {issue.message}
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : error !== undefined ? (
        <ErrorBanner error={error} />
      ) : null}
      <ServerFormFields
        form={form}
        set={set}
        issues={issues}
        editing={editing}
        mayRunCommands={me.user.isAdmin}
      />
      <HubProbe form={form} onLocalIssues={setIssues} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? 'Save changes' : 'Add server'}
        </button>
        <Link
          href={editing ? `/servers/${encodeURIComponent(form.id)}` : '/servers'}
          className="button"
        >
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function ServerFormPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const { server } = useParams<{ server?: string }>();
  const detail = useApi(
    async (signal) =>
      server === undefined
        ? undefined
        : api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}', {
            path: { workspaceId, serverId: server },
            signal,
          }),
    [workspaceId, server ?? null],
  );
  const editing = server !== undefined;
  const title = editing ? `Edit ${detail.data?.name ?? server}` : 'Add a server';
  return (
    <>
      <PageHeader
        title={title}
        description={
          editing
            ? 'Changes apply to the next request on every gateway instance.'
            : 'Register an MCP server; its gateway URL works as soon as it is saved.'
        }
      />
      {!canManage ? (
        <div className="banner banner-warn" role="alert">
          Only admins and owners of this workspace add or change servers.
        </div>
      ) : detail.error !== undefined ? (
        <ErrorBanner error={detail.error} retry={detail.reload} />
      ) : editing && detail.data === undefined ? (
        <p className="loading" aria-live="polite">
          Loading…
        </p>
      ) : (
        <Editor
          key={detail.data?.id ?? 'new'}
          initial={detail.data === undefined ? emptyServerForm() : formFromDetail(detail.data)}
          editing={editing}
        />
      )}
    </>
  );
}
