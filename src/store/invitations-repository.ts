import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { Invitation, Role } from './model.ts';
import type { Database, InvitationRow } from './schema.ts';
import type { Store } from './store.ts';
import { emailKey } from './users-repository.ts';

export function createInvitationsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['invitations'] {
  const toInvitation = (row: InvitationRow): Invitation => ({
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role as Role,
    serverIds: row.server_ids === null ? null : (codec.fromJson(row.server_ids) as string[]),
    tokenHash: row.token_hash,
    invitedBy: row.invited_by,
    createdAt: codec.fromTimestamp(row.created_at),
    expiresAt: codec.fromTimestamp(row.expires_at),
    acceptedAt: codec.fromNullableTimestamp(row.accepted_at),
    revokedAt: codec.fromNullableTimestamp(row.revoked_at),
  });

  return {
    async create(input) {
      const email = input.email.trim();
      const row = await db
        .insertInto('invitations')
        .values({
          id: randomUUID(),
          workspace_id: input.workspaceId,
          email,
          email_key: emailKey(email),
          role: input.role,
          server_ids: input.serverIds === null ? null : codec.toJson(input.serverIds),
          token_hash: input.tokenHash,
          invited_by: input.invitedBy,
          created_at: codec.toTimestamp(new Date()),
          expires_at: codec.toTimestamp(input.expiresAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toInvitation(row);
    },

    async find(id) {
      const row = await db
        .selectFrom('invitations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toInvitation(row);
    },

    async findByTokenHash(tokenHash) {
      const row = await db
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toInvitation(row);
    },

    async list(workspaceId) {
      const rows = await db
        .selectFrom('invitations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toInvitation);
    },

    async accept(id, at) {
      // One conditional UPDATE: of two concurrent acceptances only one
      // matches a row still open, whatever the isolation level.
      const result = await db
        .updateTable('invitations')
        .set({ accepted_at: codec.toTimestamp(at) })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async revoke(id, at) {
      await db
        .updateTable('invitations')
        .set({ revoked_at: codec.toTimestamp(at) })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
