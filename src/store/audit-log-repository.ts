import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import { AUDIT_GENESIS_HASH } from './model.ts';
import type { AuditEntry } from './model.ts';
import type { AuditLogRow, Database } from './schema.ts';
import type { AuditQuery, Store } from './store.ts';

const DEFAULT_LIST_LIMIT = 100;

type RunInTransaction = <T>(work: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * Appends take turns on the head row: `select … for update` on PostgreSQL
 * (every instance); on SQLite the transaction already holds the database's
 * single write lock (BEGIN IMMEDIATE, create-store.ts).
 */
export function createAuditLogRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
  runInTransaction: RunInTransaction,
): Store['auditLog'] {
  const toEntry = (row: AuditLogRow): AuditEntry => ({
    seq: codec.toNumber(row.seq),
    time: codec.fromTimestamp(row.time),
    actorKind: row.actor_kind as AuditEntry['actorKind'],
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    apiKeyId: row.api_key_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    workspaceId: row.workspace_id,
    before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
    after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
    source: row.source as AuditEntry['source'],
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  });

  const json = (value: unknown): string | null =>
    value === null || value === undefined ? null : JSON.stringify(value);

  async function readHead(target: Kysely<Database>): Promise<{ seq: number; hash: string }> {
    // Migration 0010 inserts the head; a store emptied table by table (tests) has none.
    await target
      .insertInto('audit_head')
      .values({ id: 1, seq: 0, hash: AUDIT_GENESIS_HASH })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    let query = target.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
    if (codec.dialect === 'postgres') query = query.forUpdate();
    const head = await query.executeTakeFirstOrThrow();
    return { seq: codec.toNumber(head.seq), hash: head.hash };
  }

  function filtered<O>(query: SelectQueryBuilder<Database, 'audit_log', O>, filter: AuditQuery) {
    let q = query;
    if (filter.workspaceId !== undefined) q = q.where('workspace_id', '=', filter.workspaceId);
    if (filter.actor !== undefined) {
      const actor = filter.actor;
      q = q.where((eb) =>
        eb.or([eb('actor_id', '=', actor), eb('actor_email', '=', actor.toLowerCase())]),
      );
    }
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.since !== undefined) q = q.where('time', '>=', codec.toTimestamp(filter.since));
    if (filter.until !== undefined) q = q.where('time', '<', codec.toTimestamp(filter.until));
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    return q;
  }

  return {
    async lock() {
      await readHead(db);
    },

    append(input, hashOf) {
      return runInTransaction(async (tx) => {
        const head = await readHead(tx);
        const unhashed: Omit<AuditEntry, 'hash'> = {
          ...input,
          seq: head.seq + 1,
          actorEmail: input.actorEmail === null ? null : input.actorEmail.toLowerCase(),
          before: input.before ?? null,
          after: input.after ?? null,
          prevHash: head.hash,
        };
        const entry: AuditEntry = { ...unhashed, hash: hashOf(unhashed) };
        await tx
          .insertInto('audit_log')
          .values({
            seq: entry.seq,
            time: codec.toTimestamp(entry.time),
            actor_kind: entry.actorKind,
            actor_id: entry.actorId,
            actor_email: entry.actorEmail,
            api_key_id: entry.apiKeyId,
            action: entry.action,
            target_type: entry.targetType,
            target_id: entry.targetId,
            workspace_id: entry.workspaceId,
            before_json: json(entry.before),
            after_json: json(entry.after),
            source: entry.source,
            request_id: entry.requestId,
            prev_hash: entry.prevHash,
            hash: entry.hash,
          })
          .execute();
        await tx
          .updateTable('audit_head')
          .set({ seq: entry.seq, hash: entry.hash })
          .where('id', '=', 1)
          .execute();
        return entry;
      });
    },

    async list(query) {
      const rows = await filtered(db.selectFrom('audit_log').selectAll(), query)
        .orderBy('seq', 'desc')
        .limit(query.limit ?? DEFAULT_LIST_LIMIT)
        .execute();
      return rows.map(toEntry);
    },

    async listChain(afterSeq, limit) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },

    async head() {
      const head = await db
        .selectFrom('audit_head')
        .select(['seq', 'hash'])
        .where('id', '=', 1)
        .executeTakeFirst();
      if (head === undefined) return { seq: 0, hash: AUDIT_GENESIS_HASH };
      return { seq: codec.toNumber(head.seq), hash: head.hash };
    },
  };
}
