/**
 * OAuth artefacts whose id is a bearer secret (refresh tokens, authorization
 * codes, session ids, …) are stored under the SHA-256 of the id from now on,
 * with no `jti` in the payload (src/auth/server/oidc-adapter.ts). Rows written
 * before keep working: their ids are hashed here and their `jti` dropped.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

/** Kept in step with HASHED_ID_MODELS of the adapter; frozen here as of this migration. */
const MODELS = [
  'AccessToken',
  'AuthorizationCode',
  'BackchannelAuthenticationRequest',
  'ClientCredentials',
  'DeviceCode',
  'Interaction',
  'PushedAuthorizationRequest',
  'RefreshToken',
  'RegistrationAccessToken',
  'ReplayDetection',
  'Session',
];

interface Row {
  model: string;
  id: string;
  payload: unknown;
}

export function hashedOAuthTokenIds(codec: DialectCodec): Migration {
  return {
    async up(untyped: Kysely<unknown>) {
      const db = untyped as Kysely<{ oauth_artefacts: Row }>;
      const rows = await db
        .selectFrom('oauth_artefacts')
        .select(['model', 'id', 'payload'])
        .where('model', 'in', MODELS)
        .execute();
      for (const row of rows) {
        const { jti: _jti, ...payload } = codec.fromJson(row.payload) as Record<string, unknown>;
        await db
          .updateTable('oauth_artefacts')
          .set({
            id: crypto.createHash('sha256').update(row.id).digest('base64url'),
            payload: codec.toJson(payload),
          })
          .where('model', '=', row.model)
          .where('id', '=', row.id)
          .execute();
      }
    },
  };
}
