/**
 * The Store port over one Kysely instance. Dialect-specific behaviour lives
 * in dialect-codec.ts and in `beginTransaction` (chosen by create-store.ts);
 * everything here is shared by SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { createApiKeysRepository } from './api-keys-repository.ts';
import { createAuditLogRepository } from './audit-log-repository.ts';
import type { DialectCodec } from './dialect-codec.ts';
import { createBrowserSessionsRepository } from './browser-sessions-repository.ts';
import { createInvitationsRepository } from './invitations-repository.ts';
import { createMembersRepository } from './members-repository.ts';
import { createMemberSecretsRepository } from './member-secrets-repository.ts';
import { createOAuthArtefactsRepository } from './oauth-artefacts-repository.ts';
import { runMigrations } from './migrations/run-migrations.ts';
import { createRequestRecordsRepository } from './request-records-repository.ts';
import type { BulkInsert } from './sqlite-bulk-insert.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import { toStoreError } from './store-error.ts';
import { createServersRepository } from './servers-repository.ts';
import { createSigningKeysRepository } from './signing-keys-repository.ts';
import {
  createServerPoliciesRepository,
  createToolPinsRepository,
} from './server-policies-repository.ts';
import { createUsageLimitsRepository } from './usage-limits-repository.ts';
import { createUpstreamConnectionsRepositories } from './upstream-connections-repository.ts';
import { createUsersRepository } from './users-repository.ts';
import { createWorkspacesRepository } from './workspaces-repository.ts';

/** Runs `work` on a connection inside one transaction: commit on resolve, rollback on throw. */
export type TransactionRunner = <T>(
  db: Kysely<Database>,
  work: (tx: Kysely<Database>) => Promise<T>,
) => Promise<T>;

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  codec: DialectCodec;
  runTransaction: TransactionRunner;
  /** A faster path for request record batches outside transactions (SQLite). */
  bulkInsertRecords?: BulkInsert;
}

type AsyncMethods = Record<string, (...args: never[]) => Promise<unknown>>;

/** Constraint violations become StoreErrors naming the verb (`members.upsert`). */
function withStoreErrors<R extends AsyncMethods>(area: string, repository: R): R {
  const wrapped: AsyncMethods = {};
  for (const [verb, method] of Object.entries(repository)) {
    wrapped[verb] = async (...args: never[]) => {
      try {
        return await method(...args);
      } catch (error) {
        throw toStoreError(`${area}.${verb}`, error);
      }
    };
  }
  return wrapped as R;
}

function bindStore(
  db: Kysely<Database>,
  codec: DialectCodec,
  runTransaction: TransactionRunner,
  isTransaction: boolean,
  bulkInsertRecords?: BulkInsert,
): Store {
  const transaction: Store['transaction'] = (work) =>
    isTransaction
      ? work(self)
      : runTransaction(db, (tx) => work(bindStore(tx, codec, runTransaction, true)));
  const runInTransaction = <T>(work: (tx: Kysely<Database>) => Promise<T>) =>
    isTransaction ? work(db) : runTransaction(db, work);

  const upstream = createUpstreamConnectionsRepositories(db, codec);
  const self: Store = {
    upstreamClients: withStoreErrors('upstreamClients', upstream.upstreamClients),
    upstreamConnections: withStoreErrors('upstreamConnections', upstream.upstreamConnections),
    upstreamAuthorizations: withStoreErrors(
      'upstreamAuthorizations',
      upstream.upstreamAuthorizations,
    ),
    leases: withStoreErrors('leases', upstream.leases),
    dialect: codec.dialect,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    transaction,
    auditLog: withStoreErrors('auditLog', createAuditLogRepository(db, codec, runInTransaction)),
    users: withStoreErrors('users', createUsersRepository(db, codec, runInTransaction)),
    workspaces: withStoreErrors('workspaces', createWorkspacesRepository(db, codec)),
    members: withStoreErrors('members', createMembersRepository(db, codec)),
    servers: withStoreErrors('servers', createServersRepository(db, codec)),
    memberSecrets: withStoreErrors('memberSecrets', createMemberSecretsRepository(db, codec)),
    apiKeys: withStoreErrors('apiKeys', createApiKeysRepository(db, codec)),
    invitations: withStoreErrors('invitations', createInvitationsRepository(db, codec)),
    browserSessions: withStoreErrors('browserSessions', createBrowserSessionsRepository(db, codec)),
    oauthArtefacts: withStoreErrors('oauthArtefacts', createOAuthArtefactsRepository(db, codec)),
    signingKeys: withStoreErrors('signingKeys', createSigningKeysRepository(db, codec)),
    usageLimits: withStoreErrors('usageLimits', createUsageLimitsRepository(db, codec)),
    serverPolicies: withStoreErrors('serverPolicies', createServerPoliciesRepository(db, codec)),
    toolPins: withStoreErrors('toolPins', createToolPinsRepository(db, codec)),
    requestRecords: withStoreErrors(
      'requestRecords',
      createRequestRecordsRepository(
        db,
        codec,
        runInTransaction,
        isTransaction ? undefined : bulkInsertRecords,
      ),
    ),
    migrate: () => Promise.reject(new Error('migrate() is not available inside a transaction')),
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
  return self;
}

export function createKyselyStore(options: KyselyStoreOptions): Store {
  const { db, codec, runTransaction } = options;
  let closed: Promise<void> | undefined;
  return {
    ...bindStore(db, codec, runTransaction, false, options.bulkInsertRecords),

    migrate: () => runMigrations(db as Kysely<unknown>, codec),

    close() {
      // Kysely's destroy closes the SQLite handle or ends the pg pool.
      closed ??= db.destroy();
      return closed;
    },
  };
}
