/**
 * Logs: the workspace's request records (one per MCP message), filtered by
 * everything GET …/records supports, the filters kept in the URL so a view
 * is a link. "Older" pages back by cursor; the live tail polls for newer
 * records; a row opens the full record in a drawer; exports use the same
 * filters. Members and viewers see their own records only.
 */
import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { ErrorBanner } from '../components/error-banner';
import { useDirectory } from '../components/obs-directory';
import type { Directory } from '../components/obs-directory';
import { RecordDetail } from '../components/obs-record-detail';
import { TimeRangeFields, formText, readTimeRange } from '../components/obs-time-range';
import { PageHeader } from '../components/page-header';
import { formatMs } from '../format';
import { TAIL_INTERVAL_MS } from '../observability/live-tail';
import {
  LOGS_DEFAULT_RANGE,
  canTail,
  exportHref,
  logFiltersSearch,
  parseLogFilters,
} from '../observability/log-filters';
import type { LogFilters } from '../observability/log-filters';
import { RANGE_IDS, compactTime } from '../observability/time-range';
import { useRecordFeed } from '../observability/use-record-feed';
import type { RecordRow } from '../observability/use-record-feed';
import { useSession, useWorkspaceId } from '../session';

function text(data: FormData, name: string): string | undefined {
  const value = formText(data, name);
  return value === '' ? undefined : value;
}

function FilterForm({
  filters,
  directory,
  canManage,
  onApply,
}: {
  filters: LogFilters;
  directory: Directory;
  canManage: boolean;
  onApply: (filters: LogFilters) => void;
}) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const status = text(data, 'status');
    onApply({
      ...readTimeRange(data, LOGS_DEFAULT_RANGE),
      ...(text(data, 'server') === undefined ? {} : { server: text(data, 'server') }),
      ...(text(data, 'member') === undefined ? {} : { member: text(data, 'member') }),
      ...(text(data, 'tool') === undefined ? {} : { tool: text(data, 'tool') }),
      ...(status === 'ok' || status === 'error' ? { status } : {}),
      ...(text(data, 'q') === undefined ? {} : { q: text(data, 'q') }),
    });
  }
  return (
    <form className="filters panel obs-filters" aria-label="Filters" onSubmit={submit}>
      <TimeRangeFields value={filters} choices={RANGE_IDS} />
      <div>
        <label htmlFor="logs-server">Server</label>
        <select id="logs-server" name="server" defaultValue={filters.server ?? ''}>
          <option value="">All servers</option>
          {directory.servers.map((server) => (
            <option key={server.id} value={server.id}>
              {server.name}
            </option>
          ))}
          {filters.server !== undefined &&
          !directory.servers.some((server) => server.id === filters.server) ? (
            <option value={filters.server}>{filters.server}</option>
          ) : null}
        </select>
      </div>
      {canManage ? (
        <div>
          <label htmlFor="logs-member">Member</label>
          <select id="logs-member" name="member" defaultValue={filters.member ?? ''}>
            <option value="">All members</option>
            {directory.members.map((member) => (
              <option key={member.userId} value={member.userId}>
                {member.email}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div>
        <label htmlFor="logs-tool">Tool</label>
        <input
          id="logs-tool"
          type="text"
          name="tool"
          maxLength={500}
          placeholder="Exact name"
          defaultValue={filters.tool ?? ''}
        />
      </div>
      <div>
        <label htmlFor="logs-status">Status</label>
        <select id="logs-status" name="status" defaultValue={filters.status ?? ''}>
          <option value="">Any status</option>
          <option value="ok">OK</option>
          <option value="error">Error</option>
        </select>
      </div>
      <div>
        <label htmlFor="logs-q">Text</label>
        <input
          id="logs-q"
          type="search"
          name="q"
          maxLength={200}
          placeholder="Method, tool or error"
          defaultValue={filters.q ?? ''}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply({ range: LOGS_DEFAULT_RANGE })}>
          Reset
        </button>
      </div>
    </form>
  );
}

function RecordsTable({
  records,
  email,
  onOpen,
  now,
}: {
  now: Date;
  records: RecordRow[];
  email: Directory['email'];
  onOpen: (id: string) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="obs-records">
        <caption className="visually-hidden">Request records, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Server</th>
            <th scope="col">Member</th>
            <th scope="col">Method</th>
            <th scope="col">Tool or resource</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Latency
            </th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.id} className="clickable" onClick={() => onOpen(record.id)}>
              <td>
                <button
                  type="button"
                  className="link obs-time"
                  onClick={(event) => {
                    event.stopPropagation();
                    onOpen(record.id);
                  }}
                >
                  <time dateTime={record.time}>{compactTime(record.time, now)}</time>
                </button>
              </td>
              <td data-label="Server">{record.serverId}</td>
              <td data-label="Member">
                {record.principalKind === 'anonymous'
                  ? 'anonymous'
                  : (email(record.principalId) ?? record.principalId ?? '—')}
                {record.principalKind === 'api_key' ? (
                  <span className="muted"> (API key)</span>
                ) : null}
              </td>
              <td data-label="Method">
                <code>{record.method}</code>
              </td>
              <td className="obs-target" data-label="Tool or resource">
                {record.target ?? '—'}
              </td>
              <td data-label="Status">
                <span className={record.status === 'ok' ? 'badge ok' : 'badge error'}>
                  {record.status}
                  {record.errorCode !== null ? ` ${record.errorCode}` : ''}
                </span>
                {record.errorMessage !== null ? (
                  <span className="obs-error-message muted"> {record.errorMessage}</span>
                ) : null}
              </td>
              <td className="num" data-label="Latency">
                {formatMs(record.latencyMs)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LogsPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = useMemo(() => parseLogFilters(search), [search]);
  const directory = useDirectory(workspaceId);
  const [tailOn, setTailOn] = useState(false);
  const tailable = canTail(filters, new Date());
  const feed = useRecordFeed(workspaceId, filters, tailOn && tailable);
  const [openId, setOpenId] = useState<string | undefined>(undefined);

  function apply(next: LogFilters) {
    const query = logFiltersSearch(next);
    navigate(query === '' ? '/logs' : `/logs?${query}`);
  }

  const now = new Date();
  return (
    <section>
      <PageHeader
        title="Logs"
        description={
          canManage
            ? 'Every MCP message through this workspace, newest first.'
            : 'Your MCP messages through this workspace, newest first.'
        }
        actions={
          <>
            <a className="button" href={exportHref(workspaceId, filters, 'ndjson', now)} download>
              Export NDJSON
            </a>
            <a className="button" href={exportHref(workspaceId, filters, 'csv', now)} download>
              Export CSV
            </a>
          </>
        }
      />
      <FilterForm
        key={search}
        filters={filters}
        directory={directory}
        canManage={canManage}
        onApply={apply}
      />
      <div className="obs-toolbar">
        <label className="inline" htmlFor="logs-tail">
          <input
            id="logs-tail"
            type="checkbox"
            checked={tailOn && tailable}
            disabled={!tailable}
            onChange={(event) => setTailOn(event.target.checked)}
          />
          Live tail
        </label>
        <span className="field-hint" aria-live="polite">
          {!tailable
            ? 'This range has ended: no new records can match.'
            : tailOn
              ? `Polls every ${TAIL_INTERVAL_MS / 1000} s for newer records${
                  feed.lastPolledAt !== undefined
                    ? `; last checked ${feed.lastPolledAt.toLocaleTimeString()}${
                        feed.lastAdded > 0 ? `, ${feed.lastAdded} new` : ''
                      }`
                    : ''
                }.`
              : `Off. When on, it polls every ${TAIL_INTERVAL_MS / 1000} s for newer records.`}
        </span>
        <button type="button" onClick={feed.reload}>
          Refresh
        </button>
      </div>
      {feed.error !== undefined ? <ErrorBanner error={feed.error} retry={feed.reload} /> : null}
      {directory.error !== undefined ? <ErrorBanner error={directory.error} /> : null}
      {feed.loading && feed.records.length === 0 ? (
        <p aria-live="polite">Loading…</p>
      ) : feed.records.length === 0 ? (
        <p className="empty muted">No records match these filters.</p>
      ) : (
        <RecordsTable records={feed.records} email={directory.email} onOpen={setOpenId} now={now} />
      )}
      {feed.hasOlder ? (
        <div className="form-actions">
          <button type="button" onClick={feed.loadOlder} disabled={feed.loadingOlder}>
            {feed.loadingOlder ? 'Loading…' : 'Older'}
          </button>
        </div>
      ) : null}
      {openId !== undefined ? (
        <RecordDetail
          workspaceId={workspaceId}
          recordId={openId}
          email={directory.email}
          onClose={() => setOpenId(undefined)}
        />
      ) : null}
    </section>
  );
}
