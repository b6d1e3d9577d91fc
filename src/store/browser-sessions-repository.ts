import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { BrowserSession } from './model.ts';
import type { BrowserSessionRow, Database } from './schema.ts';
import type { Store } from './store.ts';

export function createBrowserSessionsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['browserSessions'] {
  const toSession = (row: BrowserSessionRow): BrowserSession => ({
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: codec.fromTimestamp(row.created_at),
    lastSeenAt: codec.fromTimestamp(row.last_seen_at),
    expiresAt: codec.fromTimestamp(row.expires_at),
  });

  return {
    async create(input) {
      const now = codec.toTimestamp(new Date());
      const row = await db
        .insertInto('browser_sessions')
        .values({
          id_hash: input.idHash,
          user_id: input.userId,
          csrf_token: input.csrfToken,
          created_at: now,
          last_seen_at: now,
          expires_at: codec.toTimestamp(input.expiresAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSession(row);
    },

    async find(idHash) {
      const row = await db
        .selectFrom('browser_sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },

    async touch(idHash, lastSeenAt, expiresAt) {
      await db
        .updateTable('browser_sessions')
        .set({
          last_seen_at: codec.toTimestamp(lastSeenAt),
          expires_at: codec.toTimestamp(expiresAt),
        })
        .where('id_hash', '=', idHash)
        .execute();
    },

    async remove(idHash) {
      await db.deleteFrom('browser_sessions').where('id_hash', '=', idHash).execute();
    },

    async removeForUser(userId) {
      await db.deleteFrom('browser_sessions').where('user_id', '=', userId).execute();
    },

    async removeExpired(now) {
      const result = await db
        .deleteFrom('browser_sessions')
        .where('expires_at', '<=', codec.toTimestamp(now))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
