import { randomUUID } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { ApiKey } from './model.ts';
import type { ApiKeyRow, ApiKeysTable, Database } from './schema.ts';
import type { Store } from './store.ts';

export function createApiKeysRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['apiKeys'] {
  const toApiKey = (row: ApiKeyRow): ApiKey => ({
    id: row.id,
    name: row.name,
    userId: row.user_id,
    workspaceId: row.workspace_id,
    keyHash: row.key_hash,
    prefix: row.prefix,
    serverIds: row.server_ids === null ? null : (codec.fromJson(row.server_ids) as string[]),
    expiresAt: codec.fromNullableTimestamp(row.expires_at),
    revokedAt: codec.fromNullableTimestamp(row.revoked_at),
    createdAt: codec.fromTimestamp(row.created_at),
  });
  const nullableTimestamp = (date: Date | null | undefined) =>
    date === null || date === undefined ? null : codec.toTimestamp(date);

  return {
    async upsert(input) {
      const fields = {
        user_id: input.userId,
        key_hash: input.keyHash,
        prefix: input.prefix,
        server_ids:
          input.serverIds === null || input.serverIds === undefined
            ? null
            : codec.toJson(input.serverIds),
        expires_at: nullableTimestamp(input.expiresAt),
      };
      const changes: Updateable<ApiKeysTable> = { ...fields };
      if (input.revokedAt !== undefined) changes.revoked_at = nullableTimestamp(input.revokedAt);
      const row = await db
        .insertInto('api_keys')
        .values({
          id: randomUUID(),
          name: input.name,
          workspace_id: input.workspaceId,
          revoked_at: nullableTimestamp(input.revokedAt),
          created_at: codec.toTimestamp(new Date()),
          ...fields,
        })
        .onConflict((conflict) => conflict.columns(['workspace_id', 'name']).doUpdateSet(changes))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiKey(row);
    },

    async findByHash(keyHash) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },

    async list(workspaceId) {
      let query = db.selectFrom('api_keys').selectAll();
      if (workspaceId !== undefined) query = query.where('workspace_id', '=', workspaceId);
      const rows = await query.orderBy('workspace_id').orderBy('name').execute();
      return rows.map(toApiKey);
    },

    async find(id) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },

    async revoke(id, at) {
      await db
        .updateTable('api_keys')
        .set({ revoked_at: codec.toTimestamp(at) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
