/** The tables added after 0001, as older versions wrote them (see upgrade-seed.ts). */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DialectCodec } from '../dialect-codec.ts';
import type { AuditEntry } from '../model.ts';
import {
  ACME_CLIENT_CREDENTIALS,
  ADDED_IN,
  CALLBACK,
  ISSUER,
  REFRESH_TOKEN,
  SHARED_CLIENT_CREDENTIALS,
  at,
  auditChain,
  insertRow as insert,
} from './upgrade-fixtures.ts';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

export async function seedLaterTables(db: Kysely<unknown>, codec: DialectCodec, level: number) {
  const ts = (date: Date | null) => (date === null ? null : codec.toTimestamp(date));
  const json = (value: unknown) => (value === null ? null : codec.toJson(value));
  const since = (migration: number, row: Record<string, unknown>) =>
    level >= migration ? row : {};

  if (level < ADDED_IN.identity) return;
  await insert(db, 'invitations', {
    id: 'inv-1',
    workspace_id: 'acme',
    email: 'Carol@Acme.test',
    email_key: 'carol@acme.test',
    role: 'viewer',
    server_ids: json(['plain']),
    token_hash: 'invitation-token-hash',
    invited_by: 'u-alice',
    created_at: ts(at(8)),
    expires_at: ts(at(8 + 7 * 86_400)),
    accepted_at: null,
    revoked_at: null,
  });
  await insert(db, 'browser_sessions', {
    id_hash: 'session-hash',
    user_id: 'u-alice',
    csrf_token: 'csrf-token',
    created_at: ts(at(9)),
    last_seen_at: ts(at(19)),
    expires_at: ts(at(9 + 86_400)),
  });
  const hashed = level >= ADDED_IN.hashedOAuthIds;
  const refreshPayload = { grantId: 'grant-1', accountId: 'u-alice', clientId: 'client-1' };
  for (const [model, id, payload, expires] of [
    [
      'RefreshToken',
      hashed ? sha256(REFRESH_TOKEN) : REFRESH_TOKEN,
      hashed ? refreshPayload : { jti: REFRESH_TOKEN, ...refreshPayload },
      at(86_400 * 30),
    ],
    ['Grant', 'grant-1', { jti: 'grant-1', accountId: 'u-alice', clientId: 'client-1' }, null],
    ['Client', 'client-1', { client_id: 'client-1', redirect_uris: ['http://localhost/cb'] }, null],
  ] as const)
    await insert(db, 'oauth_artefacts', {
      model,
      id,
      payload: json(payload),
      grant_id: model === 'Client' ? null : 'grant-1',
      uid: null,
      user_code: null,
      account_id: model === 'Client' ? null : 'u-alice',
      client_id: 'client-1',
      expires_at: ts(expires),
      consumed_at: null,
      created_at: ts(at(10)),
    });
  for (const [kid, retired] of [
    ['key-old', at(11)],
    ['key-new', null],
  ] as const)
    await insert(db, 'signing_keys', {
      kid,
      alg: 'RS256',
      sealed_jwk: `sealed:${kid}`,
      created_at: ts(kid === 'key-old' ? at(0) : at(11)),
      retired_at: ts(retired),
    });

  if (level < ADDED_IN.upstreamConnections) return;
  const clients: [string, string, string | null][] = [[CALLBACK, 'app-client', null]];
  clients.push(
    level >= ADDED_IN.clientWorkspaces
      ? [ACME_CLIENT_CREDENTIALS, 'acme-robot', 'acme']
      : [SHARED_CLIENT_CREDENTIALS, 'every-workspace-robot', null],
  );
  for (const [redirect, clientId, workspace] of clients)
    await insert(db, 'upstream_oauth_clients', {
      issuer: ISSUER,
      redirect_uri: redirect,
      client_id: clientId,
      client_secret: 'sealed:dcr-secret',
      client_secret_expires_at: null,
      method: 'dynamic',
      token_endpoint_auth_method: 'client_secret_basic',
      created_at: ts(at(12)),
      ...since(ADDED_IN.clientWorkspaces, { workspace_id: workspace }),
    });
  for (const [server, owner, status] of [
    ['per-user', 'u-alice', 'connected'],
    ['shared', '', 'broken'],
    ['robot', '', 'connected'],
  ] as const)
    await insert(db, 'upstream_connections', {
      workspace_id: 'acme',
      server_id: server,
      owner_id: owner,
      user_id: owner === '' ? null : owner,
      issuer: ISSUER,
      access_token: `sealed:access-${server}`,
      refresh_token: server === 'robot' ? null : `sealed:refresh-${server}`,
      token_type: 'Bearer',
      expires_at: ts(at(3600)),
      scope: 'repo',
      status,
      broken_reason: status === 'broken' ? 'invalid_grant' : null,
      connected_by: 'u-alice',
      created_at: ts(at(13)),
      updated_at: ts(at(14)),
    });
  await insert(db, 'upstream_authorizations', {
    state_hash: 'state-hash',
    workspace_id: 'acme',
    server_id: 'per-user',
    owner_id: 'u-bob',
    user_id: 'u-bob',
    pending: 'sealed:pending',
    return_url: '/dashboard/servers/per-user',
    created_at: ts(at(15)),
    expires_at: ts(at(15 + 600)),
  });
  await insert(db, 'leases', {
    key: 'refresh:acme/per-user/u-alice',
    holder: 'instance-a',
    expires_at: ts(at(60)),
  });

  if (level < ADDED_IN.serverPolicies) return;
  for (const version of [1, 2])
    await insert(db, 'server_policies', {
      workspace_id: 'acme',
      server_id: 'headers',
      version,
      document: json({ tools: { deny: version === 1 ? ['rm'] : ['rm', 'format'] } }),
      updated_by: 'u-alice',
      updated_at: ts(at(20 + version)),
    });
  await insert(db, 'tool_pins', {
    workspace_id: 'acme',
    server_id: 'plain',
    tool: 'echo',
    approved_hash: 'hash-echo',
    approved_definition: json({ name: 'echo', inputSchema: { type: 'object' } }),
    approved_by: 'u-alice',
    approved_at: ts(at(23)),
    seen_hash: 'hash-echo',
    seen_definition: json({ name: 'echo', inputSchema: { type: 'object' } }),
    seen_at: ts(at(24)),
    blocked: codec.toBoolean(true),
  });

  if (level < ADDED_IN.usageLimits) return;
  await insert(db, 'usage_limits', {
    id: 'limit-1',
    workspace_id: 'acme',
    name: 'calls-per-member',
    server_id: 'plain',
    tool: null,
    method: 'tools/call',
    group_by: json(['member', 'tool']),
    period: 'hour',
    limit_count: 5_000_000_000,
    created_at: ts(at(25)),
    updated_at: ts(at(26)),
  });

  if (level < ADDED_IN.auditLog) return;
  const chain = auditChain();
  for (const entry of chain)
    await insert(db, 'audit_log', {
      seq: entry.seq,
      time: ts(entry.time),
      actor_kind: entry.actorKind,
      actor_id: entry.actorId,
      actor_email: entry.actorEmail,
      api_key_id: entry.apiKeyId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      workspace_id: entry.workspaceId,
      before_json: entry.before === null ? null : JSON.stringify(entry.before),
      after_json: entry.after === null ? null : JSON.stringify(entry.after),
      source: entry.source,
      request_id: entry.requestId,
      prev_hash: entry.prevHash,
      hash: entry.hash,
    });
  const last = chain.at(-1) as AuditEntry;
  await sql`update audit_head set seq = ${last.seq}, hash = ${last.hash} where id = 1`.execute(db);

  if (level < ADDED_IN.memberSecrets) return;
  await insert(db, 'member_secrets', {
    workspace_id: 'acme',
    server_id: 'files',
    user_id: 'u-bob',
    name: 'github',
    sealed_value: 'sealed:bob-pat',
    updated_at: ts(at(27)),
  });
}
