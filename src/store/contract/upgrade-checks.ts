/**
 * What the upgrade contract expects back through the store from the rows
 * upgrade-seed.ts wrote at `level`: identity, servers, records, audit log.
 */
import assert from 'node:assert/strict';
import { auditEntryHash } from '../../audit/audit-hash.ts';
import { verifyAuditLog } from '../../audit/verify-audit-log.ts';
import { MIGRATION_NAMES } from '../migrations/migration-provider.ts';
import type { Store } from '../store.ts';
import { requestRecord } from './contract-support.ts';
import {
  ADDED_IN,
  FULL_CAPTURE,
  MEMBER_ENV,
  RECORDS_NEWEST_FIRST,
  SERVER_AUTH,
  at,
  auditChain,
} from './upgrade-fixtures.ts';

const NONE = { mode: 'none', forwardIdentity: false };

export async function verifyIdentity(store: Store, level: number): Promise<void> {
  const identity = level >= ADDED_IN.identity;
  const users = await store.users.list();
  assert.deepEqual(
    users.map((user) => [user.id, user.email, user.name, user.isAdmin]),
    [
      ['u-alice', 'Alice@Acme.test', 'Alice', identity],
      ['u-bob', 'bob@acme.test', null, false],
    ],
  );
  assert.equal((await store.users.findByEmail('alice@ACME.test'))?.id, 'u-alice');
  assert.equal(users[0]?.passwordHash, '$scrypt$n=16384,r=8,p=1$c2FsdA$aGFzaA');
  assert.deepEqual(users[0]?.createdAt, at(0));
  assert.deepEqual(
    (await store.workspaces.list()).map((w) => [w.id, w.name, w.createdAt.getTime()]),
    [
      ['acme', 'Acme Corp', at(2).getTime()],
      ['beta', 'Beta', at(3).getTime()],
    ],
  );
  assert.deepEqual(
    (await store.members.listForUser('u-bob')).map((m) => [m.workspaceId, m.role, m.serverIds]),
    [
      ['acme', 'member', identity ? ['files', 'plain'] : null],
      ['beta', 'admin', null],
    ],
  );
  const keys = await store.apiKeys.list('acme');
  assert.deepEqual(
    keys.map((key) => [key.id, key.name, key.userId, key.prefix, key.serverIds]),
    [
      ['k-1', 'ci', 'u-alice', 'pcl_k-1', null],
      ['k-2', 'laptop', 'u-bob', 'pcl_k-2', ['files']],
    ],
  );
  const laptop = await store.apiKeys.findByHash('hash-of-k-2');
  assert.deepEqual(laptop?.expiresAt, at(86_400 * 365));
  assert.deepEqual(laptop?.revokedAt, at(86_400));
  assert.deepEqual(laptop?.createdAt, at(7));
}

export async function verifyServers(store: Store, level: number): Promise<void> {
  const servers = await store.servers.list('acme');
  assert.deepEqual(servers.map((server) => server.id).sort(), Object.keys(SERVER_AUTH).sort());
  for (const server of servers) {
    assert.deepEqual(
      server.upstreamAuth,
      level >= ADDED_IN.upstreamAuth ? SERVER_AUTH[server.id] : NONE,
      `upstream_auth of ${server.id}`,
    );
    assert.deepEqual(
      server.capture,
      level >= ADDED_IN.recordDetails && server.id === 'headers'
        ? FULL_CAPTURE
        : { mode: 'metadata', masks: [] },
      `capture of ${server.id}`,
    );
    assert.deepEqual(server.createdAt, at(5));
    assert.deepEqual(server.updatedAt, at(6));
  }
  const files = await store.servers.find('acme', 'files');
  assert.deepEqual(
    {
      transport: files?.transport,
      command: files?.command,
      args: files?.args,
      env: files?.env,
      cwd: files?.cwd,
      timeoutMs: files?.timeoutMs,
      memberEnv: files?.memberEnv,
    },
    {
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'],
      env: { ROOT: 'sealed:root' },
      cwd: level >= ADDED_IN.serverCwd ? '/srv/files' : null,
      timeoutMs: 45_000,
      memberEnv: level >= ADDED_IN.memberSecrets ? MEMBER_ENV : undefined,
    },
  );
  assert.equal((await store.servers.find('acme', 'plain'))?.url, 'https://plain.example.test/mcp');
  if (level >= ADDED_IN.memberSecrets)
    assert.deepEqual(
      (await store.memberSecrets.list()).map((s) => [s.serverId, s.userId, s.name, s.sealedValue]),
      [['files', 'u-bob', 'github', 'sealed:bob-pat']],
    );
}

export async function verifyRecords(store: Store, level: number): Promise<void> {
  const records = await store.requestRecords.list({ workspaceId: 'acme' });
  assert.deepEqual(
    records.map((record) => record.id),
    RECORDS_NEWEST_FIRST,
  );
  const details = level >= ADDED_IN.recordDetails;
  assert.deepEqual(
    await store.requestRecords.find('r-4'),
    requestRecord({
      id: 'r-4',
      time: at(40),
      serverId: 'headers',
      principalId: 'u-alice',
      apiKeyId: 'k-1',
      sessionTag: 'tag',
      upstreamLatencyMs: null,
      status: 'error',
      errorCode: -32603,
      errorMessage: 'upstream failed',
      clientId: details ? 'client-1' : null,
      clientName: details ? 'Claude' : null,
      clientVersion: details ? '1.2.3' : null,
      arguments: details ? '{"q":"[redacted]"}' : null,
      result: details ? '{"ok":false}' : null,
      traceId: details ? '4bf92f3577b34da6a3ce929d0e0e4736' : null,
    }),
  );
  assert.equal(await store.requestRecords.count({ workspaceId: 'acme', serverId: 'plain' }), 5);
  const page = await store.requestRecords.list({
    workspaceId: 'acme',
    before: { time: at(30), id: 'r-3b' },
    limit: 2,
  });
  assert.deepEqual(
    page.map((record) => record.id),
    ['r-3a', 'r-2'],
  );
  assert.equal(await store.requestRecords.removeOlderThan(at(15)), 1);
  await store.requestRecords.insertMany([requestRecord({ id: 'r-6', time: at(60) })]);
  assert.deepEqual(
    (await store.requestRecords.list({ workspaceId: 'acme', limit: 2 })).map((r) => r.id),
    ['r-6', 'r-5'],
  );
}

export async function verifyAudit(store: Store, level: number): Promise<void> {
  const chain = level >= ADDED_IN.auditLog ? auditChain() : [];
  assert.deepEqual(await verifyAuditLog(store), {
    ok: true,
    rows: chain.length,
    headHash: chain.at(-1)?.hash ?? '0'.repeat(64),
  });
  assert.deepEqual(await store.auditLog.list({ workspaceId: 'acme' }), chain.toReversed());
  // The next append chains onto what the older version wrote.
  await store.transaction(async (tx) => {
    await tx.auditLog.lock();
    await tx.auditLog.append(
      {
        time: at(200),
        actorKind: 'system',
        actorId: null,
        actorEmail: null,
        apiKeyId: null,
        action: 'gateway.upgrade',
        targetType: 'gateway',
        targetId: 'schema',
        workspaceId: null,
        before: null,
        after: { schema: MIGRATION_NAMES.at(-1) },
        source: 'cli',
        requestId: null,
      },
      auditEntryHash,
    );
  });
  const verified = await verifyAuditLog(store);
  assert.equal(verified.ok && verified.rows, chain.length + 1);
}
