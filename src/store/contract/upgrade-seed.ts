/**
 * Rows as older versions of the gateway wrote them, in plain SQL: `seedAt`
 * fills a database migrated up to migration `level` (1 = 0001) with the
 * columns that existed then, and nothing newer. The upgrade contract migrates
 * it to the latest schema and reads it back through the store. This file
 * writes the tables of 0001; upgrade-seed-later.ts the tables added since.
 */
import type { Kysely } from 'kysely';
import type { DialectCodec } from '../dialect-codec.ts';
import {
  ADDED_IN,
  FULL_CAPTURE,
  MEMBER_ENV,
  SERVER_AUTH,
  at,
  insertRow as insert,
} from './upgrade-fixtures.ts';
import type { Row } from './upgrade-fixtures.ts';
import { seedLaterTables } from './upgrade-seed-later.ts';

/** Writes the older version's rows into a database migrated up to `level`. */
export async function seedAt(db: Kysely<unknown>, codec: DialectCodec, level: number) {
  const ts = (date: Date | null) => (date === null ? null : codec.toTimestamp(date));
  const json = (value: unknown) => (value === null ? null : codec.toJson(value));
  const since = (migration: number, row: Row): Row => (level >= migration ? row : {});

  for (const [id, email, name, password, admin] of [
    ['u-alice', 'Alice@Acme.test', 'Alice', '$scrypt$n=16384,r=8,p=1$c2FsdA$aGFzaA', true],
    ['u-bob', 'bob@acme.test', null, null, false],
  ] as const)
    await insert(db, 'users', {
      id,
      email,
      email_key: email.toLowerCase(),
      name,
      password_hash: password,
      created_at: ts(id === 'u-alice' ? at(0) : at(1)),
      ...since(ADDED_IN.identity, { is_admin: codec.toBoolean(admin) }),
    });
  for (const [id, name, time] of [
    ['acme', 'Acme Corp', at(2)],
    ['beta', 'Beta', at(3)],
  ] as const)
    await insert(db, 'workspaces', { id, name, created_at: ts(time) });
  for (const [workspace, user, role, servers] of [
    ['acme', 'u-alice', 'owner', null],
    ['acme', 'u-bob', 'member', ['files', 'plain']],
    ['beta', 'u-bob', 'admin', null],
  ] as const)
    await insert(db, 'members', {
      workspace_id: workspace,
      user_id: user,
      role,
      created_at: ts(at(4)),
      ...since(ADDED_IN.identity, { server_ids: json(servers) }),
    });

  for (const [id, auth] of Object.entries(SERVER_AUTH)) {
    const stdio = id === 'files';
    await insert(db, 'servers', {
      workspace_id: 'acme',
      id,
      name: `Server ${id}`,
      transport: stdio ? 'stdio' : 'http',
      url: stdio ? null : `https://${id}.example.test/mcp`,
      command: stdio ? 'npx' : null,
      args: json(stdio ? ['-y', '@modelcontextprotocol/server-filesystem', '/srv'] : []),
      env: json(stdio ? { ROOT: 'sealed:root' } : {}),
      timeout_ms: stdio ? 45_000 : 30_000,
      created_at: ts(at(5)),
      updated_at: ts(at(6)),
      ...since(ADDED_IN.serverCwd, { cwd: stdio ? '/srv/files' : null }),
      ...since(ADDED_IN.upstreamAuth, { upstream_auth: json(auth) }),
      ...since(ADDED_IN.recordDetails, id === 'headers' ? { capture: json(FULL_CAPTURE) } : {}),
      ...since(ADDED_IN.memberSecrets, stdio ? { member_env: json(MEMBER_ENV) } : {}),
    });
  }

  for (const [id, user, name, servers, expires, revoked] of [
    ['k-1', 'u-alice', 'ci', null, null, null],
    ['k-2', 'u-bob', 'laptop', ['files'], at(86_400 * 365), at(86_400)],
  ] as const)
    await insert(db, 'api_keys', {
      id,
      name,
      user_id: user,
      workspace_id: 'acme',
      key_hash: `hash-of-${id}`,
      prefix: `pcl_${id}`,
      server_ids: json(servers),
      expires_at: ts(expires),
      revoked_at: ts(revoked),
      created_at: ts(at(7)),
    });

  // Inserted out of time order: the list order must come from (time, id).
  for (const [id, seconds] of [
    ['r-3b', 30],
    ['r-1', 10],
    ['r-5', 50],
    ['r-3a', 30],
    ['r-2', 20],
    ['r-4', 40],
  ] as const)
    await insert(db, 'request_records', {
      id,
      time: ts(at(seconds)),
      workspace_id: 'acme',
      server_id: id === 'r-4' ? 'headers' : 'plain',
      principal_kind: 'api_key',
      principal_id: 'u-alice',
      api_key_id: 'k-1',
      method: 'tools/call',
      target: 'echo',
      era: 'legacy',
      protocol_version: '2025-06-18',
      session_tag: 'tag',
      latency_ms: 12.5,
      upstream_latency_ms: id === 'r-4' ? null : 10.25,
      status: id === 'r-4' ? 'error' : 'ok',
      http_status: 200,
      error_code: id === 'r-4' ? -32603 : null,
      error_message: id === 'r-4' ? 'upstream failed' : null,
      bytes_in: 120,
      bytes_out: 3_000_000_000,
      ...since(
        ADDED_IN.recordDetails,
        id === 'r-4'
          ? {
              client_id: 'client-1',
              client_name: 'Claude',
              client_version: '1.2.3',
              arguments: '{"q":"[redacted]"}',
              result: '{"ok":false}',
              trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
            }
          : {},
      ),
    });
  await seedLaterTables(db, codec, level);
}
