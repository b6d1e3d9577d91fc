import { sql } from 'kysely';
import type { Insertable, Kysely, RawBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { DialectCodec } from './dialect-codec.ts';
import type { BulkInsert } from './sqlite-bulk-insert.ts';
import type { Database, RequestRecordRow, RequestRecordsTable } from './schema.ts';
import type { RequestRecordDimension, RequestRecordQuery, Store } from './store.ts';

/**
 * Rows per INSERT statement. 26 columns × 500 rows stays far below SQLite's
 * 32,766 and PostgreSQL's 65,535 bound parameters per statement.
 */
export const RECORD_CHUNK_ROWS = 500;
const DEFAULT_LIST_LIMIT = 100;
/** Rows removed per retention statement: a long backlog never holds the writer for long. */
const REMOVE_CHUNK_ROWS = 5_000;

/** Errors that say the upstream was down or broken, not that a call was refused or failed inside a tool. */
export const UPSTREAM_FAILURES = [
  'upstream_unavailable',
  'upstream_timeout',
  'upstream_protocol_error',
  'upstream_error',
] as const;

const DIMENSIONS: Record<RequestRecordDimension, readonly (keyof RequestRecordsTable)[]> = {
  server: ['server_id'],
  tool: ['server_id', 'target'],
  member: ['principal_id'],
  error: ['error_code', 'error_message'],
};

type RunInTransaction = (work: (db: Kysely<Database>) => Promise<void>) => Promise<void>;

/** `%`, `_` and `\` match themselves in a LIKE pattern escaped with `\`. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createRequestRecordsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
  runInTransaction: RunInTransaction,
  bulkInsert?: BulkInsert,
): Store['requestRecords'] {
  const toRow = (record: RequestRecord): Insertable<RequestRecordsTable> => ({
    id: record.id,
    time: codec.toTimestamp(record.time),
    workspace_id: record.workspaceId,
    server_id: record.serverId,
    principal_kind: record.principalKind,
    principal_id: record.principalId,
    api_key_id: record.apiKeyId,
    method: record.method,
    target: record.target,
    era: record.era,
    protocol_version: record.protocolVersion,
    session_tag: record.sessionTag,
    latency_ms: record.latencyMs,
    upstream_latency_ms: record.upstreamLatencyMs,
    status: record.status,
    http_status: record.httpStatus,
    error_code: record.errorCode,
    error_message: record.errorMessage,
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
    client_id: record.clientId,
    client_name: record.clientName,
    client_version: record.clientVersion,
    arguments: record.arguments,
    result: record.result,
    trace_id: record.traceId,
  });

  const toRecord = (row: RequestRecordRow): RequestRecord => ({
    id: row.id,
    time: codec.fromTimestamp(row.time),
    workspaceId: row.workspace_id,
    serverId: row.server_id,
    principalKind: row.principal_kind as RequestRecord['principalKind'],
    principalId: row.principal_id,
    apiKeyId: row.api_key_id,
    method: row.method,
    target: row.target,
    era: row.era as RequestRecord['era'],
    protocolVersion: row.protocol_version,
    sessionTag: row.session_tag,
    latencyMs: row.latency_ms,
    upstreamLatencyMs: row.upstream_latency_ms,
    status: row.status as RequestRecord['status'],
    httpStatus: row.http_status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    bytesIn: codec.toNumber(row.bytes_in),
    bytesOut: codec.toNumber(row.bytes_out),
    clientId: row.client_id,
    clientName: row.client_name,
    clientVersion: row.client_version,
    arguments: row.arguments,
    result: row.result,
    traceId: row.trace_id,
  });

  function filtered<O>(
    query: SelectQueryBuilder<Database, 'request_records', O>,
    filter: RequestRecordQuery,
  ) {
    let q = query;
    if (filter.workspaceId !== undefined) q = q.where('workspace_id', '=', filter.workspaceId);
    if (filter.serverId !== undefined) q = q.where('server_id', '=', filter.serverId);
    if (filter.serverIds !== undefined)
      q =
        filter.serverIds.length === 0
          ? q.where(sql<SqlBool>`1 = 0`)
          : q.where('server_id', 'in', filter.serverIds);
    if (filter.since !== undefined) q = q.where('time', '>=', codec.toTimestamp(filter.since));
    if (filter.until !== undefined) q = q.where('time', '<', codec.toTimestamp(filter.until));
    if (filter.principalId !== undefined) q = q.where('principal_id', '=', filter.principalId);
    if (filter.method !== undefined) q = q.where('method', '=', filter.method);
    if (filter.target !== undefined) q = q.where('target', '=', filter.target);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.text !== undefined && filter.text !== '') {
      const pattern = likePattern(filter.text);
      q = q.where(
        sql<SqlBool>`(lower(method) like ${pattern} escape '\\' or lower(coalesce(target, '')) like ${pattern} escape '\\' or lower(coalesce(error_message, '')) like ${pattern} escape '\\')`,
      );
    }
    return q;
  }

  async function insertChunks(target: Kysely<Database>, rows: Insertable<RequestRecordsTable>[]) {
    for (let start = 0; start < rows.length; start += RECORD_CHUNK_ROWS) {
      await target
        .insertInto('request_records')
        .values(rows.slice(start, start + RECORD_CHUNK_ROWS))
        .execute();
    }
  }

  // Figures every group and bucket shares; pg answers sums and counts as strings.
  const errorsSum = sql<number | string>`sum(case when status = 'error' then 1 else 0 end)`;
  const failuresSum = sql<
    number | string
  >`sum(case when error_message in (${sql.join(UPSTREAM_FAILURES.map((code) => sql.lit(code)))}) then 1 else 0 end)`;

  /** Bucket start in epoch milliseconds; `bucketMs` is a validated positive integer, inlined. */
  const bucketOf = (bucketMs: number): RawBuilder<number | string> => {
    const width = sql.lit(Math.trunc(bucketMs));
    return codec.dialect === 'sqlite'
      ? sql<number>`(time / ${width}) * ${width}`
      : sql<string>`floor(extract(epoch from time) * 1000 / ${width}) * ${width}`;
  };

  /**
   * Every workspace that has records, one index seek each (a loose index
   * scan: SQLite and PostgreSQL would otherwise read every index entry for
   * a DISTINCT), including workspaces deleted since.
   */
  async function recordWorkspaces(): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      with recursive w(id) as (
        select min(workspace_id) from request_records
        union all
        select (select min(workspace_id) from request_records where workspace_id > w.id)
        from w where w.id is not null
      )
      select id from w where id is not null`.execute(db);
    return rows.map((row) => row.id);
  }

  return {
    async insertMany(records) {
      if (records.length === 0) return;
      const rows = records.map(toRow);
      if (bulkInsert !== undefined) return bulkInsert(rows);
      // Several chunks form one batch: all of it is written or none, so a
      // retried batch never duplicates the chunks that did go in.
      if (rows.length <= RECORD_CHUNK_ROWS) await insertChunks(db, rows);
      else await runInTransaction((tx) => insertChunks(tx, rows));
    },

    async list(query) {
      let q = filtered(db.selectFrom('request_records').selectAll(), query);
      const position = query.before;
      if (position !== undefined) {
        const time = codec.toTimestamp(position.time);
        q = q.where((eb) =>
          eb.or([
            eb('time', '<', time),
            eb.and([eb('time', '=', time), eb('id', '<', position.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('time', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit ?? DEFAULT_LIST_LIMIT)
        .execute();
      return rows.map(toRecord);
    },

    async count(query) {
      const row = await filtered(
        db.selectFrom('request_records').select((eb) => eb.fn.countAll<number | string>().as('n')),
        query,
      ).executeTakeFirstOrThrow();
      return codec.toNumber(row.n);
    },

    async find(id) {
      const row = await db
        .selectFrom('request_records')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    // Workspace by workspace: (workspace_id, time) is the only index on
    // time, so a record pays for one index fewer on every insert.
    async removeOlderThan(cutoff) {
      const time = codec.toTimestamp(cutoff);
      let removed = 0;
      for (const workspaceId of await recordWorkspaces()) {
        for (;;) {
          const chunk = db
            .selectFrom('request_records')
            .select('id')
            .where('workspace_id', '=', workspaceId)
            .where('time', '<', time)
            .limit(REMOVE_CHUNK_ROWS);
          const result = await db
            .deleteFrom('request_records')
            .where('id', 'in', chunk)
            .executeTakeFirst();
          const n = Number(result.numDeletedRows);
          removed += n;
          if (n < REMOVE_CHUNK_ROWS) break;
        }
      }
      return removed;
    },

    async timeSeries(query, bucketMs) {
      const bucket = bucketOf(bucketMs);
      const rows = await filtered(
        db
          .selectFrom('request_records')
          .select((eb) => [
            bucket.as('bucket'),
            eb.fn.countAll<number | string>().as('requests'),
            errorsSum.as('errors'),
          ]),
        query,
      )
        .groupBy(bucket)
        .orderBy(bucket)
        .execute();
      return rows.map((row) => ({
        start: new Date(Number(row.bucket)),
        requests: codec.toNumber(row.requests),
        errors: codec.toNumber(row.errors),
      }));
    },

    async groupBy(query, dimension, limit) {
      const columns = DIMENSIONS[dimension];
      let grouped = filtered(
        db
          .selectFrom('request_records')
          .select(columns)
          .select((eb) => [
            eb.fn.countAll<number | string>().as('requests'),
            errorsSum.as('errors'),
            failuresSum.as('upstream_failures'),
            eb.fn.avg<number | string>('latency_ms').as('avg_latency_ms'),
            eb.fn.min('time').as('first_time'),
            eb.fn.max('time').as('last_time'),
          ]),
        query,
      )
        .groupBy(columns)
        .orderBy('requests', 'desc');
      for (const column of columns) grouped = grouped.orderBy(column);
      const rows = await grouped.limit(limit).execute();
      return rows.map((row) => {
        const values = row as unknown as Record<string, string | number | null>;
        return {
          keys: columns.map((column) => values[column] ?? null),
          requests: codec.toNumber(row.requests),
          errors: codec.toNumber(row.errors),
          upstreamFailures: codec.toNumber(row.upstream_failures),
          avgLatencyMs: Number(row.avg_latency_ms),
          firstTime: codec.fromTimestamp(row.first_time),
          lastTime: codec.fromTimestamp(row.last_time),
        };
      });
    },

    async latencies(query, limit) {
      const rows = await filtered(
        db
          .selectFrom('request_records')
          .select(['time', 'server_id', 'method', 'target', 'latency_ms']),
        query,
      )
        .orderBy('time', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        time: codec.fromTimestamp(row.time),
        serverId: row.server_id,
        method: row.method,
        target: row.target,
        latencyMs: row.latency_ms,
      }));
    },
  };
}
