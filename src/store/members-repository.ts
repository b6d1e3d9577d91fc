import type { Kysely, Selectable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { Member, Role } from './model.ts';
import type { Database, MembersTable } from './schema.ts';
import type { Store } from './store.ts';

const toMember = (
  row: Pick<Selectable<MembersTable>, 'workspace_id' | 'user_id' | 'role'>,
): Member => ({
  workspaceId: row.workspace_id,
  userId: row.user_id,
  role: row.role as Role,
});

export function createMembersRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['members'] {
  return {
    async upsert(input) {
      const row = await db
        .insertInto('members')
        .values({
          workspace_id: input.workspaceId,
          user_id: input.userId,
          role: input.role,
          created_at: codec.toTimestamp(new Date()),
        })
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'user_id']).doUpdateSet({ role: input.role }),
        )
        .returning(['workspace_id', 'user_id', 'role'])
        .executeTakeFirstOrThrow();
      return toMember(row);
    },

    async list(workspaceId) {
      const rows = await db
        .selectFrom('members')
        .select(['workspace_id', 'user_id', 'role'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      return rows.map(toMember);
    },

    async remove(workspaceId, userId) {
      await db
        .deleteFrom('members')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
