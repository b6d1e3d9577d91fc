/**
 * How the gateway authenticates to each upstream (`upstream_auth` in the
 * declarative config): a JSON document whose header values are sealed by the
 * vault. Existing servers authenticate with nothing, as before.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function serverUpstreamAuth(codec: DialectCodec): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const none = JSON.stringify({ mode: 'none', forwardIdentity: false });
      await db.schema
        .alterTable('servers')
        .addColumn('upstream_auth', codec.jsonType, (c) => c.notNull().defaultTo(sql.lit(none)))
        .execute();
    },
  };
}
