/**
 * Tool pinning for one tool: the state of its pin, what changed since it
 * was approved (the diff, rendered as text), and Approve / Quarantine.
 */
import { useState } from 'react';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { formatTime } from '../format';
import { diffRows } from '../policy/capability-rows';
import type { ToolPin } from '../policy/capability-rows';
import { ErrorBanner } from './error-banner';

function PolicyDiff({
  workspaceId,
  serverId,
  tool,
}: {
  workspaceId: string;
  serverId: string;
  tool: string;
}) {
  const diff = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/tools/{tool}/diff', {
        path: { workspaceId, serverId, tool },
        signal,
      }),
    [workspaceId, serverId, tool],
  );
  if (diff.error !== undefined) return <ErrorBanner error={diff.error} retry={diff.reload} />;
  if (diff.data === undefined) return <p className="muted">Loading the change…</p>;
  const rows = diffRows(diff.data.changes);
  if (rows.length === 0)
    return <p className="muted">The definition seen matches the approved one.</p>;
  return (
    <div className="table-wrap">
      <table className="policy-diff">
        <caption className="visually-hidden">What changed in {tool}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Approved</th>
            <th scope="col">Seen now</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.path}>
              <td>
                <code>{row.path}</code>
              </td>
              <td>
                <pre className="diff-before">{row.before}</pre>
              </td>
              <td>
                <pre className="diff-after">{row.after}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PolicyToolReview({
  workspaceId,
  serverId,
  pin,
  pinning,
  nameOf,
  onChanged,
}: {
  workspaceId: string;
  serverId: string;
  pin: ToolPin;
  /** Tool pinning is on in the saved policy (quarantine needs it). */
  pinning: boolean;
  /** A user id as the page can name it. */
  nameOf: (userId: string) => string;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const act = async (action: 'approve' | 'quarantine') => {
    setBusy(true);
    setError(undefined);
    try {
      const path = { workspaceId, serverId, tool: pin.tool };
      if (action === 'approve')
        await api.post('/api/v1/workspaces/{workspaceId}/servers/{serverId}/tools/{tool}/approve', {
          path,
        });
      else
        await api.post(
          '/api/v1/workspaces/{workspaceId}/servers/{serverId}/tools/{tool}/quarantine',
          {
            path,
          },
        );
      onChanged();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="policy-review" aria-label={`Pinning of ${pin.tool}`}>
      <h4>Pinned definition</h4>
      <dl className="facts">
        <dt>Last seen</dt>
        <dd>{formatTime(pin.seen_at)}</dd>
        <dt>Approved</dt>
        <dd>
          {pin.approved_at === null ? 'never' : formatTime(pin.approved_at)}
          {pin.approved_at !== null && pin.approved_by === null ? (
            <span className="muted"> (first seen)</span>
          ) : null}
          {pin.approved_by !== null ? (
            <span className="muted"> by {nameOf(pin.approved_by)}</span>
          ) : null}
        </dd>
      </dl>
      {pin.changed ? (
        <>
          <p>
            The upstream now describes this tool differently from the approved definition
            {pinning ? '; it stays hidden and refused until approved.' : '.'}
          </p>
          <PolicyDiff workspaceId={workspaceId} serverId={serverId} tool={pin.tool} />
        </>
      ) : null}
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      <div className="form-actions">
        {pin.changed || pin.blocked || pin.state === 'quarantined' || pin.state === 'pending' ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void act('approve')}
          >
            Approve {pin.tool}
          </button>
        ) : null}
        {pinning && pin.state !== 'quarantined' ? (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void act('quarantine')}
          >
            Quarantine {pin.tool}
          </button>
        ) : null}
      </div>
    </section>
  );
}
