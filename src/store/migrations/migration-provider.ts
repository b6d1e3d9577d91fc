/**
 * The static list of migrations (no directory scanning: the list is the
 * source of truth and works from any install layout). Names sort in order.
 */
import type { Migration, MigrationProvider } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';
import { initialSchema } from './0001-initial-schema.ts';
import { serverCwd } from './0002-server-cwd.ts';
import { identitySchema } from './0003-identity.ts';
import { hashedOAuthTokenIds } from './0004-hashed-oauth-token-ids.ts';
import { serverUpstreamAuth } from './0005-server-upstream-auth.ts';

const migrations = {
  '0001-initial-schema': initialSchema,
  '0002-server-cwd': serverCwd,
  '0003-identity': identitySchema,
  '0004-hashed-oauth-token-ids': hashedOAuthTokenIds,
  '0005-server-upstream-auth': serverUpstreamAuth,
} satisfies Record<string, (codec: DialectCodec) => Migration>;

/** Every migration name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations).sort();

export function migrationProvider(codec: DialectCodec): MigrationProvider {
  const built = Object.fromEntries(
    Object.entries(migrations).map(([name, make]) => [name, make(codec)]),
  );
  return { getMigrations: async () => built };
}
