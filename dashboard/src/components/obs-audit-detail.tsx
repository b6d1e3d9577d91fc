/**
 * One audit entry in a drawer: who, when, what, from where, and what changed
 * (path by path), then the stored states before and after as JSON text.
 */
import type { ApiResult } from '../api/client';
import { formatTime } from '../format';
import { diffJson, prettyJson } from '../observability/json-diff';
import { Drawer } from './obs-drawer';

export type AuditEntry = ApiResult<'/api/v1/audit', 'get'>['entries'][number];

export function actorName(actor: AuditEntry['actor']): string {
  if (actor.kind === 'config') return 'Configuration file';
  if (actor.kind === 'system') return 'System';
  return actor.email ?? actor.id ?? actor.kind;
}

/** A target as people know it: a member by email when the directory has them. */
export function targetName(
  target: AuditEntry['target'],
  email: (userId: string | null) => string | undefined,
): string {
  return (
    (target.type === 'member' || target.type === 'user' ? email(target.id) : undefined) ?? target.id
  );
}

export function AuditDetail({
  entry,
  email,
  onClose,
}: {
  entry: AuditEntry;
  email: (userId: string | null) => string | undefined;
  onClose: () => void;
}) {
  const changes = diffJson(entry.before, entry.after);
  return (
    <Drawer title={`Audit entry ${entry.seq}`} onClose={onClose}>
      <dl className="facts">
        <dt>When</dt>
        <dd>
          {formatTime(entry.time)} <span className="muted">({entry.time})</span>
        </dd>
        <dt>Who</dt>
        <dd>
          {actorName(entry.actor)}
          {entry.actor.apiKeyId !== null ? ` (API key ${entry.actor.apiKeyId})` : ''}
        </dd>
        <dt>Action</dt>
        <dd>
          <code>{entry.action}</code>
        </dd>
        <dt>Target</dt>
        <dd>
          {entry.target.type} <code>{targetName(entry.target, email)}</code>
          {targetName(entry.target, email) !== entry.target.id ? (
            <span className="muted"> ({entry.target.id})</span>
          ) : null}
        </dd>
        <dt>Source</dt>
        <dd>{entry.source}</dd>
        <dt>Request id</dt>
        <dd className="mono">{entry.requestId ?? '—'}</dd>
        <dt>Hash</dt>
        <dd className="mono">{entry.hash}</dd>
      </dl>
      <h3>Changes</h3>
      {changes.length === 0 ? (
        <p className="muted">No stored field changed.</p>
      ) : (
        <div className="table-wrap">
          <table className="obs-diff">
            <caption className="visually-hidden">Changed fields</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr key={change.path} className={`obs-diff-${change.kind}`}>
                  <th scope="row" className="mono">
                    {change.path === '' ? '(whole value)' : change.path}
                  </th>
                  <td className="mono obs-diff-before">{change.before ?? '—'}</td>
                  <td className="mono obs-diff-after">{change.after ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="obs-json-pair">
        <div>
          <h3>Before</h3>
          <pre>{entry.before === null ? 'Nothing (created)' : prettyJson(entry.before)}</pre>
        </div>
        <div>
          <h3>After</h3>
          <pre>{entry.after === null ? 'Nothing (deleted)' : prettyJson(entry.after)}</pre>
        </div>
      </div>
    </Drawer>
  );
}
