import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { OAuthArtefact } from './model.ts';
import type { Database, OAuthArtefactRow } from './schema.ts';
import type { Store } from './store.ts';

/** oidc-provider's adapter verbs over one table keyed by (model, id). */
export function createOAuthArtefactsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['oauthArtefacts'] {
  const toArtefact = (row: OAuthArtefactRow): OAuthArtefact => ({
    model: row.model,
    id: row.id,
    payload: codec.fromJson(row.payload) as Record<string, unknown>,
    grantId: row.grant_id,
    uid: row.uid,
    userCode: row.user_code,
    accountId: row.account_id,
    clientId: row.client_id,
    expiresAt: codec.fromNullableTimestamp(row.expires_at),
    consumedAt: codec.fromNullableTimestamp(row.consumed_at),
  });
  const findBy = async (model: string, column: 'id' | 'uid' | 'user_code', value: string) => {
    const row = await db
      .selectFrom('oauth_artefacts')
      .selectAll()
      .where('model', '=', model)
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? undefined : toArtefact(row);
  };

  return {
    async upsert(model, id, input) {
      const fields = {
        payload: codec.toJson(input.payload),
        grant_id: input.grantId ?? null,
        uid: input.uid ?? null,
        user_code: input.userCode ?? null,
        account_id: input.accountId ?? null,
        client_id: input.clientId ?? null,
        expires_at:
          input.expiresAt === null || input.expiresAt === undefined
            ? null
            : codec.toTimestamp(input.expiresAt),
      };
      // created_at (list order) and consumed_at (consumption is final) survive a replace.
      await db
        .insertInto('oauth_artefacts')
        .values({ model, id, created_at: codec.toTimestamp(new Date()), ...fields })
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(fields))
        .execute();
    },

    find: (model, id) => findBy(model, 'id', id),
    findByUid: (model, uid) => findBy(model, 'uid', uid),
    findByUserCode: (model, userCode) => findBy(model, 'user_code', userCode),

    async consume(model, id, at) {
      await db
        .updateTable('oauth_artefacts')
        .set({ consumed_at: codec.toTimestamp(at) })
        .where('model', '=', model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .execute();
    },

    async destroy(model, id) {
      await db
        .deleteFrom('oauth_artefacts')
        .where('model', '=', model)
        .where('id', '=', id)
        .execute();
    },

    async revokeByGrantId(grantId) {
      await db.deleteFrom('oauth_artefacts').where('grant_id', '=', grantId).execute();
    },

    async listByAccount(model, accountId, now) {
      const rows = await db
        .selectFrom('oauth_artefacts')
        .selectAll()
        .where('model', '=', model)
        .where('account_id', '=', accountId)
        .where((eb) =>
          eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', codec.toTimestamp(now))]),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toArtefact);
    },

    async listByModel(model) {
      const rows = await db
        .selectFrom('oauth_artefacts')
        .selectAll()
        .where('model', '=', model)
        .orderBy('id')
        .execute();
      return rows.map(toArtefact);
    },

    async removeExpired(now) {
      const result = await db
        .deleteFrom('oauth_artefacts')
        .where('expires_at', '<=', codec.toTimestamp(now))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
