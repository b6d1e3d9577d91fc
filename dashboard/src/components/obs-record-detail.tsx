/**
 * One request record in full (GET …/records/{recordId}): every field, and
 * the captured arguments and result as pretty JSON text. Upstream strings
 * (targets, error messages, results) are React text only.
 */
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { formatBytes, formatMs, formatTime } from '../format';
import { prettyJson } from '../observability/json-diff';
import { ErrorBanner } from './error-banner';
import { Drawer } from './obs-drawer';

export function RecordDetail({
  workspaceId,
  recordId,
  email,
  onClose,
}: {
  workspaceId: string;
  recordId: string;
  email: (userId: string | null) => string | undefined;
  onClose: () => void;
}) {
  const loaded = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/records/{recordId}', {
        path: { workspaceId, recordId },
        signal,
      }),
    [workspaceId, recordId],
  );
  const record = loaded.data;
  return (
    <Drawer title="Request record" onClose={onClose}>
      {loaded.error !== undefined ? (
        <ErrorBanner error={loaded.error} retry={loaded.reload} />
      ) : null}
      {record === undefined ? (
        loaded.error === undefined ? (
          <p aria-live="polite">Loading…</p>
        ) : null
      ) : (
        <>
          <p>
            <span className={record.status === 'ok' ? 'badge ok' : 'badge error'}>
              {record.status}
            </span>{' '}
            <code>{record.method}</code>{' '}
            {record.target !== null ? <code>{record.target}</code> : null}
          </p>
          <dl className="facts">
            <dt>Time</dt>
            <dd>
              {formatTime(record.time)} <span className="muted">({record.time})</span>
            </dd>
            <dt>Record id</dt>
            <dd className="mono">{record.id}</dd>
            <dt>Server</dt>
            <dd>{record.serverId}</dd>
            <dt>Member</dt>
            <dd>{email(record.principalId) ?? record.principalId ?? '—'}</dd>
            <dt>Credential</dt>
            <dd>
              {record.principalKind}
              {record.apiKeyId !== null ? ` (key ${record.apiKeyId})` : ''}
            </dd>
            <dt>OAuth client</dt>
            <dd>{record.clientId ?? '—'}</dd>
            <dt>Client software</dt>
            <dd>
              {record.clientName ?? '—'}
              {record.clientVersion !== null ? ` ${record.clientVersion}` : ''}
            </dd>
            <dt>Protocol</dt>
            <dd>
              {record.era} era, {record.protocolVersion ?? 'version not negotiated'}
            </dd>
            <dt>Session tag</dt>
            <dd className="mono">{record.sessionTag ?? '—'}</dd>
            <dt>Latency</dt>
            <dd>
              {formatMs(record.latencyMs)} total, {formatMs(record.upstreamLatencyMs)} upstream
            </dd>
            <dt>HTTP status</dt>
            <dd>{record.httpStatus}</dd>
            <dt>Error code</dt>
            <dd>{record.errorCode ?? '—'}</dd>
            <dt>Error</dt>
            <dd>{record.errorMessage ?? '—'}</dd>
            <dt>Bytes in / out</dt>
            <dd>
              {formatBytes(record.bytesIn)} / {formatBytes(record.bytesOut)}
            </dd>
            <dt>Trace id</dt>
            <dd className="mono">{record.traceId ?? '—'}</dd>
          </dl>
          {record.captured ? (
            <>
              <h3>Arguments</h3>
              <pre>{prettyJson(record.arguments)}</pre>
              <h3>Result</h3>
              <pre>{prettyJson(record.result)}</pre>
            </>
          ) : (
            <p className="field-hint">
              Arguments and result were not captured: the server&apos;s capture mode records
              metadata only.
            </p>
          )}
        </>
      )}
    </Drawer>
  );
}
