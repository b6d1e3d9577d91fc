/**
 * Audit: the workspace's administrative changes, newest first (GET
 * /api/v1/audit?workspace=…, owners and admins), filtered by actor, action,
 * target type and time, the filters in the URL. An entry opens in a drawer
 * with what it changed.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/client';
import { ErrorBanner } from '../components/error-banner';
import { AuditDetail, actorName, targetName } from '../components/obs-audit-detail';
import { useDirectory } from '../components/obs-directory';
import type { AuditEntry } from '../components/obs-audit-detail';
import { TimeRangeFields, formText, readTimeRange } from '../components/obs-time-range';
import { PageHeader } from '../components/page-header';
import { formatTime } from '../format';
import {
  ACTION_PATTERN,
  AUDIT_DEFAULT_RANGE,
  auditFiltersSearch,
  auditQuery,
  parseAuditFilters,
} from '../observability/audit-filters';
import type { AuditFilters } from '../observability/audit-filters';
import { RANGE_IDS } from '../observability/time-range';
import { useSession, useWorkspaceId } from '../session';

const PAGE = 50;

interface Shown {
  key: string;
  entries: AuditEntry[];
  cursor: string | null;
  error: Error | undefined;
}

const asError = (reason: unknown) => (reason instanceof Error ? reason : new Error(String(reason)));

function FilterForm({
  filters,
  onApply,
}: {
  filters: AuditFilters;
  onApply: (filters: AuditFilters) => void;
}) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const field = (name: string) => formText(data, name);
    onApply({
      ...readTimeRange(data, AUDIT_DEFAULT_RANGE),
      ...(field('actor') === '' ? {} : { actor: field('actor') }),
      ...(field('action') === '' ? {} : { action: field('action') }),
      ...(field('targetType') === '' ? {} : { targetType: field('targetType') }),
    });
  }
  return (
    <form className="filters panel obs-filters" aria-label="Filters" onSubmit={submit}>
      <TimeRangeFields value={filters} choices={RANGE_IDS} />
      <div>
        <label htmlFor="audit-actor">Who</label>
        <input
          id="audit-actor"
          type="text"
          name="actor"
          maxLength={320}
          placeholder="Email or user id"
          defaultValue={filters.actor ?? ''}
        />
      </div>
      <div>
        <label htmlFor="audit-action">Action</label>
        <input
          id="audit-action"
          type="text"
          name="action"
          pattern={ACTION_PATTERN.source.slice(1, -1)}
          title="Like server.update"
          placeholder="server.update"
          defaultValue={filters.action ?? ''}
        />
      </div>
      <div>
        <label htmlFor="audit-target">Target type</label>
        <input
          id="audit-target"
          type="text"
          name="targetType"
          maxLength={100}
          placeholder="server"
          defaultValue={filters.targetType ?? ''}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply({ range: AUDIT_DEFAULT_RANGE })}>
          Reset
        </button>
      </div>
    </form>
  );
}

export function AuditPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = useMemo(() => parseAuditFilters(search), [search]);
  const directory = useDirectory(workspaceId);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [open, setOpen] = useState<AuditEntry | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify([workspaceId, filters, generation]);
  /** The query of the current view, fixed when it loaded. */
  const base = useRef<ReturnType<typeof auditQuery> | undefined>(undefined);

  useEffect(() => {
    if (!canManage) return;
    const controller = new AbortController();
    const query = auditQuery(workspaceId, filters, new Date());
    base.current = query;
    api.get('/api/v1/audit', { query: { ...query, limit: PAGE }, signal: controller.signal }).then(
      (page) => setShown({ key, entries: page.entries, cursor: page.nextCursor, error: undefined }),
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setShown({ key, entries: [], cursor: null, error: asError(reason) });
      },
    );
    return () => controller.abort();
    // `key` names everything the load depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, canManage]);

  const settled = shown?.key === key;
  const entries = shown?.entries ?? [];
  const cursor = settled ? shown.cursor : null;

  function older() {
    if (cursor === null || base.current === undefined) return;
    setLoadingOlder(true);
    api
      .get('/api/v1/audit', { query: { ...base.current, limit: PAGE, cursor } })
      .then(
        (page) =>
          setShown((previous) =>
            previous === undefined || previous.key !== key
              ? previous
              : {
                  ...previous,
                  entries: [...previous.entries, ...page.entries],
                  cursor: page.nextCursor,
                },
          ),
        (reason: unknown) =>
          setShown((previous) =>
            previous === undefined ? previous : { ...previous, error: asError(reason) },
          ),
      )
      .finally(() => setLoadingOlder(false));
  }

  function apply(next: AuditFilters) {
    const text = auditFiltersSearch(next);
    navigate(text === '' ? '/audit' : `/audit?${text}`);
  }

  if (!canManage)
    return (
      <section>
        <PageHeader title="Audit" />
        <p className="muted">The audit log is for the workspace&apos;s owners and admins.</p>
      </section>
    );
  return (
    <section>
      <PageHeader
        title="Audit"
        description="Administrative changes to this workspace, newest first, with what each changed."
      />
      <FilterForm key={search} filters={filters} onApply={apply} />
      {shown?.error !== undefined ? (
        <ErrorBanner error={shown.error} retry={() => setGeneration((n) => n + 1)} />
      ) : null}
      {entries.length === 0 ? (
        !settled ? (
          <p aria-live="polite">Loading…</p>
        ) : (
          <p className="empty muted">No changes match these filters.</p>
        )
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.seq} className="clickable" onClick={() => setOpen(entry)}>
                  <td>
                    <button
                      type="button"
                      className="link"
                      onClick={(event) => {
                        event.stopPropagation();
                        setOpen(entry);
                      }}
                    >
                      {formatTime(entry.time)}
                    </button>
                  </td>
                  <td>{actorName(entry.actor)}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    {entry.target.type} <code>{targetName(entry.target, directory.email)}</code>
                  </td>
                  <td>{entry.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor !== null ? (
        <div className="form-actions">
          <button type="button" onClick={older} disabled={loadingOlder}>
            {loadingOlder ? 'Loading…' : 'Older'}
          </button>
        </div>
      ) : null}
      {open !== undefined ? (
        <AuditDetail entry={open} email={directory.email} onClose={() => setOpen(undefined)} />
      ) : null}
    </section>
  );
}
