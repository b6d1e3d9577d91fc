/**
 * The values the upgrade seed writes (upgrade-seed.ts) and the upgrade
 * checks expect back (upgrade-checks*.ts), and the plain-SQL insert the
 * seed writes with, as an older gateway would have.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { auditEntryHash } from '../../audit/audit-hash.ts';
import { AUDIT_GENESIS_HASH } from '../model.ts';
import type { AuditEntry, UpstreamAuth } from '../model.ts';

/** The time every older row is written around. */
export const T0 = new Date('2025-06-01T10:00:00.000Z');
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The migration that added each column or table the seed writes. */
export const ADDED_IN = {
  serverCwd: 2,
  identity: 3,
  hashedOAuthIds: 4,
  upstreamAuth: 5,
  upstreamConnections: 6,
  serverPolicies: 7,
  usageLimits: 8,
  recordDetails: 9,
  auditLog: 10,
  memberSecrets: 11,
  clientWorkspaces: 13,
} as const;

export const ISSUER = 'https://as.example.test';
export const CALLBACK = 'https://gw.example.test/oauth/upstream/callback';
export const SHARED_CLIENT_CREDENTIALS = 'urn:portcullis:client_credentials';
export const ACME_CLIENT_CREDENTIALS = 'urn:portcullis:client_credentials:workspace:acme';
export const REFRESH_TOKEN = 'refresh-token-secret';

const oauth = (grant: 'per_user' | 'shared' | 'client_credentials'): UpstreamAuth => ({
  mode: 'oauth',
  forwardIdentity: false,
  oauth: {
    grant,
    clientId: grant === 'client_credentials' ? 'robot-client' : null,
    clientSecret: grant === 'client_credentials' ? 'sealed:client-secret' : null,
    scopes: grant === 'per_user' ? ['repo', 'read:user'] : [],
    omitResource: grant === 'shared',
    authorizeParams: grant === 'per_user' ? { access_type: 'offline' } : {},
  },
});

/** Each server and the upstream_auth written for it (from migration 0005 on). */
export const SERVER_AUTH: Readonly<Record<string, UpstreamAuth>> = {
  files: { mode: 'none', forwardIdentity: false },
  plain: { mode: 'none', forwardIdentity: true },
  headers: {
    mode: 'headers',
    headers: { Authorization: 'sealed:bearer', 'X-Tenant': 'sealed:tenant' },
    forwardIdentity: false,
  },
  'per-user': oauth('per_user'),
  shared: oauth('shared'),
  robot: oauth('client_credentials'),
};

export const MEMBER_ENV = { GITHUB_TOKEN: { secret: 'github', description: 'Your own PAT' } };
export const FULL_CAPTURE = { mode: 'full', masks: ['arguments.password'] };

/** Request record ids, newest first as the records API lists them (r-3a and r-3b tie on time). */
export const RECORDS_NEWEST_FIRST = ['r-5', 'r-4', 'r-3b', 'r-3a', 'r-2', 'r-1'];

export type Row = Record<string, unknown>;

export async function insertRow(db: Kysely<unknown>, table: string, row: Row): Promise<void> {
  const columns = Object.keys(row).map((column) => sql.ref(column));
  const values = Object.values(row).map((value) => sql`${value}`);
  await sql`insert into ${sql.table(table)} (${sql.join(columns)}) values (${sql.join(values)})`.execute(
    db,
  );
}

/** Audit entries as the 0010-era log appended them: chained from the genesis hash. */
export function auditChain(): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const inputs = [
    { action: 'workspace.create', targetType: 'workspace', targetId: 'acme', before: null },
    { action: 'server.update', targetType: 'server', targetId: 'acme/plain', before: { a: 1 } },
    { action: 'api_key.revoke', targetType: 'api_key', targetId: 'k-2', before: null },
  ];
  for (const [index, input] of inputs.entries()) {
    const entry = {
      seq: index + 1,
      time: at(100 + index),
      actorKind: 'user' as const,
      actorId: 'u-alice',
      actorEmail: 'alice@acme.test',
      apiKeyId: index === 2 ? 'k-1' : null,
      ...input,
      workspaceId: 'acme',
      after: { name: `after ${index}`, nested: { z: 1, a: [1, 'two'] } },
      source: 'api' as const,
      requestId: `req-${index}`,
      prevHash: entries.at(-1)?.hash ?? AUDIT_GENESIS_HASH,
    };
    entries.push({ ...entry, hash: auditEntryHash(entry) });
  }
  return entries;
}
