/**
 * The records the Logs view shows: the first page for its filters, older
 * pages on demand (cursor), and, while the live tail is on, a poll every
 * TAIL_INTERVAL_MS for records newer than those shown (live-tail.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { TAIL_INTERVAL_MS, mergeRecords, tailSince } from './live-tail.ts';
import { recordsQuery } from './log-filters.ts';
import type { LogFilters, RecordsQuery } from './log-filters.ts';

export type RecordRow = ApiResult<
  '/api/v1/workspaces/{workspaceId}/records',
  'get'
>['records'][number];

const PAGE = 50;
const TAIL_PAGE = 200;

export interface RecordFeed {
  records: RecordRow[];
  /** True until the first page for the current filters settled. */
  loading: boolean;
  error: Error | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => void;
  reload: () => void;
  /** Records the last poll added (announced to screen readers). */
  lastAdded: number;
  lastPolledAt: Date | undefined;
}

interface Shown {
  /** The view (workspace, filters, reload count) these records are for. */
  key: string;
  records: RecordRow[];
  cursor: string | null;
  error: Error | undefined;
  lastAdded: number;
  lastPolledAt: Date | undefined;
}

const asError = (reason: unknown) => (reason instanceof Error ? reason : new Error(String(reason)));

export function useRecordFeed(workspaceId: string, filters: LogFilters, tail: boolean): RecordFeed {
  const [generation, setGeneration] = useState(0);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const key = JSON.stringify([workspaceId, filters, generation]);
  /** The query of the current view, fixed when it loaded (its `since` included). */
  const base = useRef<RecordsQuery>({});
  const latest = useRef<Shown | undefined>(undefined);
  useEffect(() => {
    latest.current = shown;
  }, [shown]);

  useEffect(() => {
    const controller = new AbortController();
    const query = recordsQuery(filters, new Date());
    base.current = query;
    api
      .get('/api/v1/workspaces/{workspaceId}/records', {
        path: { workspaceId },
        query: { ...query, limit: PAGE },
        signal: controller.signal,
      })
      .then(
        (page) =>
          setShown({
            key,
            records: page.records,
            cursor: page.nextCursor,
            error: undefined,
            lastAdded: 0,
            lastPolledAt: undefined,
          }),
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          setShown({
            key,
            records: [],
            cursor: null,
            error: asError(reason),
            lastAdded: 0,
            lastPolledAt: undefined,
          });
        },
      );
    return () => controller.abort();
    // `key` names everything the load depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const settled = shown?.key === key;
  useEffect(() => {
    if (!tail || !settled) return;
    let stopped = false;
    let timer: number | undefined;
    const controller = new AbortController();
    async function poll() {
      const current = latest.current;
      if (current === undefined || current.key !== key) return;
      try {
        const since = tailSince(current.records, base.current.since);
        const page = await api.get('/api/v1/workspaces/{workspaceId}/records', {
          path: { workspaceId },
          query: { ...base.current, ...(since === undefined ? {} : { since }), limit: TAIL_PAGE },
          signal: controller.signal,
        });
        if (stopped) return;
        setShown((previous) => {
          if (previous === undefined || previous.key !== key) return previous;
          const merged = mergeRecords(previous.records, page.records);
          return {
            ...previous,
            records: merged.records,
            error: undefined,
            lastAdded: merged.added,
            lastPolledAt: new Date(),
          };
        });
      } catch (reason) {
        if (stopped) return;
        setShown((previous) =>
          previous === undefined ? previous : { ...previous, error: asError(reason) },
        );
      }
      // The next poll waits for this one: a slow answer never piles requests up.
      if (!stopped) timer = window.setTimeout(() => void poll(), TAIL_INTERVAL_MS);
    }
    timer = window.setTimeout(() => void poll(), TAIL_INTERVAL_MS);
    return () => {
      stopped = true;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [tail, settled, key, workspaceId]);

  const cursor = settled ? (shown.cursor ?? null) : null;
  const loadOlder = useCallback(() => {
    if (cursor === null) return;
    setLoadingOlder(true);
    api
      .get('/api/v1/workspaces/{workspaceId}/records', {
        path: { workspaceId },
        query: { ...base.current, cursor, limit: PAGE },
      })
      .then(
        (page) =>
          setShown((previous) =>
            previous === undefined || previous.key !== key
              ? previous
              : {
                  ...previous,
                  records: mergeRecords(previous.records, page.records).records,
                  cursor: page.nextCursor,
                },
          ),
        (reason: unknown) =>
          setShown((previous) =>
            previous === undefined ? previous : { ...previous, error: asError(reason) },
          ),
      )
      .finally(() => setLoadingOlder(false));
  }, [cursor, key, workspaceId]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return {
    // The previous view's records stay on screen while the next one loads.
    records: shown?.records ?? [],
    loading: !settled,
    error: shown?.error,
    hasOlder: cursor !== null,
    loadingOlder,
    loadOlder,
    reload,
    lastAdded: settled ? shown.lastAdded : 0,
    lastPolledAt: settled ? shown.lastPolledAt : undefined,
  };
}
