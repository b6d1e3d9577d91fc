import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { MemberSecret } from './model.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

export function createMemberSecretsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['memberSecrets'] {
  return {
    async put(workspaceId, serverId, userId, sealedValues) {
      const updatedAt = codec.toTimestamp(new Date());
      const rows = Object.entries(sealedValues).map(([name, sealed]) => ({
        workspace_id: workspaceId,
        server_id: serverId,
        user_id: userId,
        name,
        sealed_value: sealed,
        updated_at: updatedAt,
      }));
      if (rows.length === 0) return;
      await db
        .insertInto('member_secrets')
        .values(rows)
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'server_id', 'user_id', 'name']).doUpdateSet((eb) => ({
            sealed_value: eb.ref('excluded.sealed_value'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },

    async list(key) {
      let query = db.selectFrom('member_secrets').selectAll();
      if (key !== undefined)
        query = query
          .where('workspace_id', '=', key.workspaceId)
          .where('server_id', '=', key.serverId)
          .where('user_id', '=', key.userId);
      const rows = await query
        .orderBy('workspace_id')
        .orderBy('server_id')
        .orderBy('user_id')
        .orderBy('name')
        .execute();
      return rows.map((row): MemberSecret => ({
        workspaceId: row.workspace_id,
        serverId: row.server_id,
        userId: row.user_id,
        name: row.name,
        sealedValue: row.sealed_value,
        updatedAt: codec.fromTimestamp(row.updated_at),
      }));
    },

    async remove(workspaceId, serverId, userId, name) {
      const result = await db
        .deleteFrom('member_secrets')
        .where('workspace_id', '=', workspaceId)
        .where('server_id', '=', serverId)
        .where('user_id', '=', userId)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
