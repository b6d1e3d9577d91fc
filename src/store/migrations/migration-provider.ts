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
import { upstreamConnectionsSchema } from './0006-upstream-connections.ts';
import { serverPoliciesSchema } from './0007-server-policies.ts';
import { usageLimitsSchema } from './0008-usage-limits.ts';
import { requestRecordDetails } from './0009-request-record-details.ts';
import { auditLog } from './0010-audit-log.ts';
import { memberSecrets } from './0011-member-secrets.ts';
import { requestRecordsLeanIndexes } from './0012-request-records-lean-indexes.ts';
import { upstreamClientWorkspaces } from './0013-upstream-client-workspaces.ts';

const migrations = {
  '0001-initial-schema': initialSchema,
  '0002-server-cwd': serverCwd,
  '0003-identity': identitySchema,
  '0004-hashed-oauth-token-ids': hashedOAuthTokenIds,
  '0005-server-upstream-auth': serverUpstreamAuth,
  '0006-upstream-connections': upstreamConnectionsSchema,
  '0007-server-policies': serverPoliciesSchema,
  '0008-usage-limits': usageLimitsSchema,
  '0009-request-record-details': requestRecordDetails,
  '0010-audit-log': auditLog,
  '0011-member-secrets': memberSecrets,
  '0012-request-records-lean-indexes': requestRecordsLeanIndexes,
  '0013-upstream-client-workspaces': upstreamClientWorkspaces,
} satisfies Record<string, (codec: DialectCodec) => Migration>;

/** Every migration name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations).sort();

export function migrationProvider(codec: DialectCodec): MigrationProvider {
  const built = Object.fromEntries(
    Object.entries(migrations).map(([name, make]) => [name, make(codec)]),
  );
  return { getMigrations: async () => built };
}
