import type { Insertable, Kysely, SelectQueryBuilder } from 'kysely';
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { DialectCodec } from './dialect-codec.ts';
import type { BulkInsert } from './sqlite-bulk-insert.ts';
import type { Database, RequestRecordRow, RequestRecordsTable } from './schema.ts';
import type { RequestRecordQuery, Store } from './store.ts';

/**
 * Rows per INSERT statement. 20 columns × 500 rows stays far below SQLite's
 * 32,766 and PostgreSQL's 65,535 bound parameters per statement.
 */
export const RECORD_CHUNK_ROWS = 500;
const DEFAULT_LIST_LIMIT = 100;

type RunInTransaction = (work: (db: Kysely<Database>) => Promise<void>) => Promise<void>;

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
  });

  function filtered<O>(
    query: SelectQueryBuilder<Database, 'request_records', O>,
    filter: RequestRecordQuery,
  ) {
    let q = query;
    if (filter.workspaceId !== undefined) q = q.where('workspace_id', '=', filter.workspaceId);
    if (filter.serverId !== undefined) q = q.where('server_id', '=', filter.serverId);
    if (filter.since !== undefined) q = q.where('time', '>=', codec.toTimestamp(filter.since));
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
      const rows = await filtered(db.selectFrom('request_records').selectAll(), query)
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
  };
}
