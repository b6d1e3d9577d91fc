/**
 * The Analytics figures as tables: the text alternative of each chart and
 * the place for what a chart does not show (error rates, reasons, health).
 * Tool names and error reasons come from upstreams: React text only.
 */
import type { ApiResult } from '../api/client';
import { formatCount, formatMs, formatTime } from '../format';

export type LatencyData = ApiResult<'/api/v1/workspaces/{workspaceId}/analytics/latency', 'get'>;
export type TopToolsData = ApiResult<'/api/v1/workspaces/{workspaceId}/analytics/top-tools', 'get'>;
export type TopMembersData = ApiResult<
  '/api/v1/workspaces/{workspaceId}/analytics/top-members',
  'get'
>;
export type ErrorsData = ApiResult<'/api/v1/workspaces/{workspaceId}/analytics/errors', 'get'>;
export type HealthData = ApiResult<'/api/v1/workspaces/{workspaceId}/analytics/health', 'get'>;

/** A percentile the latency route gives (its rows are open objects). */
export function figure(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

const percent = (ratio: number | null) => (ratio === null ? '—' : `${(ratio * 100).toFixed(1)} %`);

export function LatencyTable({ data }: { data: LatencyData }) {
  if (data.tools.length === 0) return null;
  return (
    <div className="table-wrap">
      <table className="obs-table">
        <caption>
          Latency per tool (nearest rank)
          {data.sampled ? ', from the newest 50,000 requests of the range' : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Server</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              p50
            </th>
            <th scope="col" className="num">
              p95
            </th>
            <th scope="col" className="num">
              p99
            </th>
          </tr>
        </thead>
        <tbody>
          {data.tools.map((row) => (
            <tr key={`${row.server}\u0000${row.tool}`}>
              <td className="obs-target">{row.tool}</td>
              <td>{row.server}</td>
              <td className="num">{formatCount(figure(row.count) ?? 0)}</td>
              <td className="num">{formatMs(figure(row.p50))}</td>
              <td className="num">{formatMs(figure(row.p95))}</td>
              <td className="num">{formatMs(figure(row.p99))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TopToolsTable({ data }: { data: TopToolsData }) {
  return (
    <div className="table-wrap">
      <table className="obs-table">
        <caption>Most called tools</caption>
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Server</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Error rate
            </th>
            <th scope="col" className="num">
              Mean latency
            </th>
          </tr>
        </thead>
        <tbody>
          {data.tools.map((row) => (
            <tr key={`${row.server}\u0000${row.tool ?? ''}`}>
              <td className="obs-target">{row.tool ?? '(no name)'}</td>
              <td>{row.server}</td>
              <td className="num">{formatCount(row.requests)}</td>
              <td className="num">{formatCount(row.errors)}</td>
              <td className="num">{percent(row.errorRate)}</td>
              <td className="num">{formatMs(row.avgLatencyMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TopMembersTable({
  data,
  email,
}: {
  data: TopMembersData;
  email: (userId: string | null, known: string | null) => string;
}) {
  return (
    <div className="table-wrap">
      <table className="obs-table">
        <caption>Members with the most requests</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Error rate
            </th>
            <th scope="col" className="num">
              Mean latency
            </th>
          </tr>
        </thead>
        <tbody>
          {data.members.map((row) => (
            <tr key={row.userId ?? ''}>
              <td>{email(row.userId, row.email)}</td>
              <td className="num">{formatCount(row.requests)}</td>
              <td className="num">{formatCount(row.errors)}</td>
              <td className="num">{percent(row.errorRate)}</td>
              <td className="num">{formatMs(row.avgLatencyMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ErrorsTable({ data }: { data: ErrorsData }) {
  if (data.errors.length === 0) return <p className="muted">No errors in this range.</p>;
  return (
    <div className="table-wrap">
      <table className="obs-table">
        <caption>Errors by code and reason ({formatCount(data.total)} in all)</caption>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Reason</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col" className="num">
              Share
            </th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {data.errors.map((row) => (
            <tr key={`${row.code ?? ''}\u0000${row.reason ?? ''}`}>
              <td className="mono">{row.code ?? '—'}</td>
              <td className="obs-target">{row.reason ?? '—'}</td>
              <td className="num">{formatCount(row.count)}</td>
              <td className="num">
                <meter min={0} max={1} value={row.share} aria-hidden="true" /> {percent(row.share)}
              </td>
              <td>{formatTime(row.lastTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HealthTable({ data }: { data: HealthData }) {
  return (
    <div className="table-wrap">
      <table className="obs-table">
        <caption>Server health: uptime counts the requests the upstream did not fail</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Upstream failures
            </th>
            <th scope="col">Uptime</th>
            <th scope="col">Last request</th>
          </tr>
        </thead>
        <tbody>
          {data.servers.map((row) => (
            <tr key={row.server}>
              <td>{row.server}</td>
              <td className="num">{formatCount(row.requests)}</td>
              <td className="num">{formatCount(row.errors)}</td>
              <td className="num">{formatCount(row.upstreamFailures)}</td>
              <td>
                {row.uptimeRatio === null ? (
                  <span className="badge">no traffic</span>
                ) : (
                  <span
                    className={
                      row.uptimeRatio >= 0.99
                        ? 'badge ok'
                        : row.uptimeRatio >= 0.9
                          ? 'badge warn'
                          : 'badge error'
                    }
                  >
                    {percent(row.uptimeRatio)}
                  </span>
                )}
              </td>
              <td>{formatTime(row.lastRequestAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
