/**
 * Request records under /api/v1: the workspace's records filtered and paged
 * newest first, one record in full (captured arguments and result
 * included), and exports as NDJSON or CSV streamed page by page.
 *
 * The cursor is opaque to callers: the (time, id) of the last record served,
 * so a page never repeats or skips records when newer ones arrive meanwhile.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import type { RequestRecordQuery } from '../store/store.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { recordFilterFields, recordScope } from './record-scope.ts';
import { StreamedBody } from './streamed-body.ts';
import { workspaceParams } from './workspaces-routes.ts';
import { CSV_COLUMNS, csvLine, recordView, showRecord } from './record-views.ts';

const EXPORT_PAGE = 500;

const listFilterFields = {
  ...recordFilterFields,
  tool: z.string().min(1).max(500).optional().describe('Tool, resource or prompt (the target).'),
  method: z.string().min(1).max(200).optional(),
  status: z.enum(['ok', 'error']).optional(),
  q: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Case-insensitive text in the method, target or error message.'),
};

const listQuery = z.strictObject({
  ...listFilterFields,
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const exportQuery = z.strictObject({
  ...listFilterFields,
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
});

export function encodeCursor(record: RequestRecord): string {
  return Buffer.from(JSON.stringify([record.time.getTime(), record.id])).toString('base64url');
}

function decodeCursor(cursor: string): { time: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    )
      return { time: new Date(value[0] as number), id: value[1] };
  } catch {
    // Reported below, like any other malformed cursor.
  }
  throw invalidInput([{ path: 'query.cursor', message: 'not a cursor this API gave out' }]);
}

function withListFilters(
  query: RequestRecordQuery,
  filter: z.output<typeof listQuery> | z.output<typeof exportQuery>,
): RequestRecordQuery {
  return {
    ...query,
    ...(filter.tool === undefined ? {} : { target: filter.tool }),
    ...(filter.method === undefined ? {} : { method: filter.method }),
    ...(filter.status === undefined ? {} : { status: filter.status }),
    ...(filter.q === undefined ? {} : { text: filter.q }),
  };
}

/** Every matching record, newest first, one store page at a time. */
async function* pages(
  deps: Pick<AdminDeps, 'store'>,
  query: RequestRecordQuery,
): AsyncGenerator<RequestRecord> {
  let before: RequestRecordQuery['before'];
  for (;;) {
    const page = await deps.store.requestRecords.list({
      ...query,
      ...(before === undefined ? {} : { before }),
      limit: EXPORT_PAGE,
    });
    yield* page;
    if (page.length < EXPORT_PAGE) return;
    const last = page.at(-1)!;
    before = { time: last.time, id: last.id };
  }
}

async function* ndjson(records: AsyncGenerator<RequestRecord>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(showRecord(record, true))}\n`;
}

async function* csv(records: AsyncGenerator<RequestRecord>): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  for await (const record of records) {
    const view = showRecord(record, true) as Record<string, unknown>;
    yield csvLine(CSV_COLUMNS.map((column) => view[column]));
  }
}

export function createRecordsRoutes(deps: AdminDeps): ApiRoute[] {
  const recordParams = workspaceParams.extend({ recordId: z.string().min(1).max(200) });
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/records',
      tag: 'records',
      summary:
        "Request records, newest first (your own; every member's for admins and owners), filtered and paged by cursor",
      params: workspaceParams,
      query: listQuery,
      response: z.object({ records: z.array(recordView), nextCursor: z.string().nullable() }),
      async handle({ caller, params, query }) {
        const scope = await recordScope(deps, caller, params.workspaceId, query);
        const records = await deps.store.requestRecords.list({
          ...withListFilters(scope.query, query),
          ...(query.cursor === undefined ? {} : { before: decodeCursor(query.cursor) }),
          limit: query.limit,
        });
        return {
          records: records.map((record) => showRecord(record, false)),
          nextCursor: records.length === query.limit ? encodeCursor(records.at(-1)!) : null,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/records/export',
      tag: 'records',
      summary:
        'Every matching request record in full, streamed as NDJSON (one JSON object a line) or CSV (RFC 4180, header line first)',
      params: workspaceParams,
      query: exportQuery,
      response: z.string().describe('application/x-ndjson or text/csv'),
      async handle({ caller, params, query }) {
        const scope = await recordScope(deps, caller, params.workspaceId, query);
        const records = pages(deps, withListFilters(scope.query, query));
        const name = `records-${params.workspaceId}`;
        return query.format === 'csv'
          ? new StreamedBody('text/csv; charset=utf-8', Readable.from(csv(records)), `${name}.csv`)
          : new StreamedBody(
              'application/x-ndjson',
              Readable.from(ndjson(records)),
              `${name}.ndjson`,
            );
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/records/:recordId',
      tag: 'records',
      summary: 'One request record in full, with its captured arguments and result',
      params: recordParams,
      response: recordView,
      async handle({ caller, params }) {
        const scope = await recordScope(deps, caller, params.workspaceId, {});
        const record = await deps.store.requestRecords.find(params.recordId);
        const { query } = scope;
        // Records out of the caller's scope look exactly like records that do not exist.
        if (
          record === undefined ||
          record.workspaceId !== query.workspaceId ||
          (query.principalId !== undefined && record.principalId !== query.principalId) ||
          (query.serverIds !== undefined && !query.serverIds.includes(record.serverId))
        )
          throw new GatewayError('not_found', 'No such record.');
        return showRecord(record, true);
      },
    }),
  ];
}
