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

export function createUsersRepository(db: Kysely<Database>, codec: DialectCodec): Store['users'] {
  const toUser = (row: UserRow): User => ({
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: codec.fromTimestamp(row.created_at),
  });

  return {
    async upsert(input) {
      const email = input.email.trim();
      const changes: Updateable<UsersTable> = { email };
      if (input.name !== undefined) changes.name = input.name;
      if (input.passwordHash !== undefined) changes.password_hash = input.passwordHash;
      const row = await db
        .insertInto('users')
        .values({
          id: randomUUID(),
          email,
          email_key: emailKey(email),
          name: input.name ?? null,
          password_hash: input.passwordHash ?? null,
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
  };
}
