import type { Kysely, Updateable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { Member, Role } from './model.ts';
import type { Database, MemberRow, MembersTable } from './schema.ts';
import type { Store } from './store.ts';

const memberColumns = ['workspace_id', 'user_id', 'role', 'server_ids'] as const;

export function createMembersRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['members'] {
  const toMember = (row: Pick<MemberRow, (typeof memberColumns)[number]>): Member => ({
    workspaceId: row.workspace_id,
    userId: row.user_id,
    role: row.role as Role,
    serverIds: row.server_ids === null ? null : (codec.fromJson(row.server_ids) as string[]),
  });
  const serverIdsJson = (serverIds: readonly string[] | null | undefined) =>
    serverIds === null || serverIds === undefined ? null : codec.toJson(serverIds);

  return {
    async upsert(input) {
      const changes: Updateable<MembersTable> = { role: input.role };
      if (input.serverIds !== undefined) changes.server_ids = serverIdsJson(input.serverIds);
      const row = await db
        .insertInto('members')
        .values({
          workspace_id: input.workspaceId,
          user_id: input.userId,
          role: input.role,
          server_ids: serverIdsJson(input.serverIds),
          created_at: codec.toTimestamp(new Date()),
        })
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'user_id']).doUpdateSet(changes),
        )
        .returning(memberColumns)
        .executeTakeFirstOrThrow();
      return toMember(row);
    },

    async find(workspaceId, userId) {
      const row = await db
        .selectFrom('members')
        .select(memberColumns)
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row === undefined ? undefined : toMember(row);
    },

    async list(workspaceId) {
      const rows = await db
        .selectFrom('members')
        .select(memberColumns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      return rows.map(toMember);
    },

    async listForUser(userId) {
      const rows = await db
        .selectFrom('members')
        .select(memberColumns)
        .where('user_id', '=', userId)
        .orderBy('workspace_id')
        .execute();
      return rows.map(toMember);
    },

    async remove(workspaceId, userId) {
      // A member's own upstream tokens (per_user) belong to the membership.
      // Deleted first: should the membership delete then fail, the member
      // only has to connect again.
      await db
        .deleteFrom('upstream_connections')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .where('owner_id', '=', userId)
        .execute();
      await db
        .deleteFrom('members')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
