/**
 * "Test connection": the form's definition tried without saving it (POST
 * …/servers/test), and what the upstream would expose through the gateway.
 * Everything the upstream says is rendered as text.
 */
import { useState } from 'react';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { formatMs } from '../format';
import { fieldIssuesOf, serverBodyFromForm } from '../hub/server-form';
import type { FieldIssue, ServerForm } from '../hub/server-form';
import { useWorkspaceId } from '../session';
import { ErrorBanner } from './error-banner';

type ProbeResult = ApiResult<'/api/v1/workspaces/{workspaceId}/servers/test', 'post'>;
type Listing = Extract<ProbeResult, { ok: true }>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function Listed({ result }: { result: Listing }) {
  const name = text(result.server_info.name) ?? 'the server';
  const version = text(result.server_info.version);
  return (
    <>
      <p className="banner banner-ok">
        Connected to {name}
        {version !== undefined ? ` ${version}` : ''} in {formatMs(result.latency_ms)} (protocol{' '}
        {result.protocol_version}).
      </p>
      <h3>
        Tools it would expose <span className="muted">({result.tools.length})</span>
      </h3>
      {result.tools.length === 0 ? (
        <p className="muted">No tools.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Tools the server lists</caption>
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {result.tools.map((tool) => (
                <tr key={tool.name}>
                  <td className="mono">{tool.name}</td>
                  <td className="hub-description">{tool.title ?? tool.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>
        Resources <span className="muted">({result.resources.length})</span> and prompts{' '}
        <span className="muted">({result.prompts.length})</span>
      </h3>
      {result.resources.length + result.prompts.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="hub-listing">
          {result.resources.map((resource) => (
            <li key={`r:${resource.uri}`}>
              <span className="badge">resource</span>{' '}
              <span className="mono">{resource.name ?? resource.uri}</span>
            </li>
          ))}
          {result.prompts.map((prompt) => (
            <li key={`p:${prompt.name}`}>
              <span className="badge">prompt</span> <span className="mono">{prompt.name}</span>
            </li>
          ))}
        </ul>
      )}
      {result.truncated ? (
        <p className="field-hint">The lists are longer than the test reads.</p>
      ) : null}
    </>
  );
}

export function HubProbe({
  form,
  onLocalIssues,
}: {
  form: ServerForm;
  onLocalIssues: (issues: FieldIssue[]) => void;
}) {
  const workspaceId = useWorkspaceId();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ProbeResult | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);

  async function test() {
    const { body, issues } = serverBodyFromForm(form);
    onLocalIssues(issues);
    setResult(undefined);
    setError(undefined);
    if (issues.length > 0) return;
    setBusy(true);
    try {
      setResult(
        await api.post('/api/v1/workspaces/{workspaceId}/servers/test', {
          path: { workspaceId },
          body,
        }),
      );
    } catch (reason) {
      const failure = reason instanceof Error ? reason : new Error(String(reason));
      onLocalIssues(fieldIssuesOf(failure));
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel hub-panel hub-probe" aria-labelledby="probe-heading">
      <h2 id="probe-heading">Test connection</h2>
      <p className="field-hint">
        Connects to the server as defined above, without saving it, and lists what it offers.
        {form.transport === 'stdio' ? ' The command is started, then stopped.' : ''}
      </p>
      <button type="button" onClick={() => void test()} disabled={busy}>
        {busy ? 'Testing…' : 'Test connection'}
      </button>
      <div aria-live="polite">
        {error !== undefined ? <ErrorBanner error={error} /> : null}
        {result?.ok === false ? (
          <div className="banner banner-error" role="alert">
            <span>
              The test failed: {result.error.message}{' '}
              <span className="muted">({result.error.code})</span>
            </span>
          </div>
        ) : null}
        {result?.ok === true ? <Listed result={result} /> : null}
      </div>
    </section>
  );
}
