import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { SigningKey } from './model.ts';
import type { Database, SigningKeyRow } from './schema.ts';
import type { Store } from './store.ts';

export function createSigningKeysRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['signingKeys'] {
  const toKey = (row: SigningKeyRow): SigningKey => ({
    kid: row.kid,
    alg: row.alg,
    sealedJwk: row.sealed_jwk,
    createdAt: codec.fromTimestamp(row.created_at),
    retiredAt: codec.fromNullableTimestamp(row.retired_at),
  });

  return {
    async list() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map(toKey);
    },

    async insert(key) {
      const row = await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          alg: key.alg,
          sealed_jwk: key.sealedJwk,
          created_at: codec.toTimestamp(new Date()),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toKey(row);
    },

    async retire(kid, at) {
      await db
        .updateTable('signing_keys')
        .set({ retired_at: codec.toTimestamp(at) })
        .where('kid', '=', kid)
        .where('retired_at', 'is', null)
        .execute();
    },

    async reseal(kid, sealedJwk) {
      await db
        .updateTable('signing_keys')
        .set({ sealed_jwk: sealedJwk })
        .where('kid', '=', kid)
        .execute();
    },
  };
}
