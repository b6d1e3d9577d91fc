import { randomUUID } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { User } from './model.ts';
import type { Database, UserRow, UsersTable } from './schema.ts';
import type { Store } from './store.ts';

/** Emails compare case-insensitively; the stored `email` keeps the casing last given. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * `runTransaction` runs `work` in one transaction (joining the current one
 * inside `store.transaction`), so a removal is all or nothing.
 */
export function createUsersRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
  runTransaction: <T>(work: (tx: Kysely<Database>) => Promise<T>) => Promise<T>,
): Store['users'] {
  const toUser = (row: UserRow): User => ({
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    isAdmin: codec.fromBoolean(row.is_admin),
    createdAt: codec.fromTimestamp(row.created_at),
  });

  return {
    async upsert(input) {
      const email = input.email.trim();
      const changes: Updateable<UsersTable> = { email };
      if (input.name !== undefined) changes.name = input.name;
      if (input.passwordHash !== undefined) changes.password_hash = input.passwordHash;
      if (input.isAdmin !== undefined) changes.is_admin = codec.toBoolean(input.isAdmin);
      const row = await db
        .insertInto('users')
        .values({
          id: randomUUID(),
          email,
          email_key: emailKey(email),
          name: input.name ?? null,
          password_hash: input.passwordHash ?? null,
          is_admin: codec.toBoolean(input.isAdmin ?? false),
          created_at: codec.toTimestamp(new Date()),
        })
        .onConflict((conflict) => conflict.column('email_key').doUpdateSet(changes))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    },

    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email_key', '=', emailKey(email))
        .executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },

    async find(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },

    async list() {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .orderBy('created_at')
        .orderBy('email_key')
        .execute();
      return rows.map(toUser);
    },

    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      return codec.toNumber(row.count);
    },

    async remove(id) {
      // Memberships, API keys and browser sessions go by ON DELETE CASCADE and
      // invitations sent keep existing with invited_by null (ON DELETE SET
      // NULL); OAuth artefacts have no foreign key (see 0003-identity.ts).
      await runTransaction(async (tx) => {
        await tx.deleteFrom('oauth_artefacts').where('account_id', '=', id).execute();
        await tx.deleteFrom('users').where('id', '=', id).execute();
      });
    },
  };
}
