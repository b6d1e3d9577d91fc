/**
 * What the upgrade contract expects back through the store from the rows
 * upgrade-seed-later.ts wrote at `level`: the authorization server, the
 * upstream OAuth client, policies and usage limits.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Store } from '../store.ts';
import {
  ACME_CLIENT_CREDENTIALS,
  ADDED_IN,
  CALLBACK,
  ISSUER,
  REFRESH_TOKEN,
  at,
} from './upgrade-fixtures.ts';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

export async function verifyAuthorizationServer(store: Store, level: number): Promise<void> {
  if (level < ADDED_IN.identity) return;
  const invitation = await store.invitations.findByTokenHash('invitation-token-hash');
  assert.deepEqual(
    [invitation?.email, invitation?.role, invitation?.serverIds, invitation?.invitedBy],
    ['Carol@Acme.test', 'viewer', ['plain'], 'u-alice'],
  );
  const session = await store.browserSessions.find('session-hash');
  assert.deepEqual(
    [session?.userId, session?.csrfToken, session?.lastSeenAt],
    ['u-alice', 'csrf-token', at(19)],
  );
  assert.equal(await store.oauthArtefacts.find('RefreshToken', REFRESH_TOKEN), undefined);
  const refresh = await store.oauthArtefacts.find('RefreshToken', sha256(REFRESH_TOKEN));
  assert.deepEqual(refresh?.payload, {
    grantId: 'grant-1',
    accountId: 'u-alice',
    clientId: 'client-1',
  });
  assert.deepEqual(refresh?.expiresAt, at(86_400 * 30));
  assert.equal((await store.oauthArtefacts.find('Grant', 'grant-1'))?.payload.jti, 'grant-1');
  assert.deepEqual(
    (await store.oauthArtefacts.listByAccount('Grant', 'u-alice', at(0))).map((a) => a.id),
    ['grant-1'],
  );
  assert.deepEqual(
    (await store.oauthArtefacts.listByModel('Client')).map((a) => a.payload.redirect_uris),
    [['http://localhost/cb']],
  );
  assert.deepEqual(
    (await store.signingKeys.list()).map((key) => [key.kid, key.sealedJwk, key.retiredAt]),
    [
      ['key-old', 'sealed:key-old', at(11)],
      ['key-new', 'sealed:key-new', null],
    ],
  );
}

export async function verifyUpstream(store: Store, level: number): Promise<void> {
  if (level < ADDED_IN.upstreamConnections) return;
  const clients = await store.upstreamClients.list();
  assert.deepEqual(
    clients.map((client) => [client.redirectUri, client.clientId, client.workspaceId]),
    [
      [CALLBACK, 'app-client', null],
      // The registration every workspace shared is dropped by 0013; a workspace's own stays.
      ...(level >= ADDED_IN.clientWorkspaces
        ? [[ACME_CLIENT_CREDENTIALS, 'acme-robot', 'acme']]
        : []),
    ],
  );
  assert.equal(
    (await store.upstreamClients.find(ISSUER, CALLBACK))?.clientSecret,
    'sealed:dcr-secret',
  );
  const connections = await store.upstreamConnections.list('acme');
  assert.deepEqual(
    connections.map((c) => [c.serverId, c.ownerId, c.status, c.brokenReason]).sort(),
    [
      ['per-user', 'u-alice', 'connected', null],
      // The workspace token a shared client_credentials client gave goes with it (0013).
      ...(level >= ADDED_IN.clientWorkspaces ? [['robot', '', 'connected', null]] : []),
      ['shared', '', 'broken', 'invalid_grant'],
    ],
  );
  const mine = await store.upstreamConnections.find('acme', 'per-user', 'u-alice');
  assert.deepEqual(
    [mine?.accessToken, mine?.refreshToken, mine?.expiresAt, mine?.connectedBy],
    ['sealed:access-per-user', 'sealed:refresh-per-user', at(3600), 'u-alice'],
  );
  assert.deepEqual(
    (await store.upstreamConnections.listForUser('u-alice')).map((c) => c.serverId),
    ['per-user'],
  );
  const authorization = await store.upstreamAuthorizations.consume('state-hash', at(16));
  assert.deepEqual(
    [authorization?.userId, authorization?.returnUrl],
    ['u-bob', '/dashboard/servers/per-user'],
  );
  // 0013 added workspace_id with ALTER TABLE: its foreign key must still cascade.
  await store.upstreamClients.save({
    issuer: ISSUER,
    redirectUri: 'urn:portcullis:client_credentials:workspace:beta',
    clientId: 'beta-robot',
    clientSecret: null,
    clientSecretExpiresAt: null,
    method: 'dynamic',
    tokenEndpointAuthMethod: 'none',
    workspaceId: 'beta',
  });
  await store.workspaces.remove('beta');
  assert.equal((await store.upstreamClients.list()).length, clients.length);
  assert.equal(
    await store.leases.acquire('refresh:acme/per-user/u-alice', 'instance-b', at(90), at(30)),
    false,
  );
}

export async function verifyPolicies(store: Store, level: number): Promise<void> {
  if (level < ADDED_IN.serverPolicies) return;
  const current = await store.serverPolicies.current('acme', 'headers');
  assert.deepEqual(
    [current?.version, current?.document, current?.updatedBy],
    [2, { tools: { deny: ['rm', 'format'] } }, 'u-alice'],
  );
  assert.equal((await store.serverPolicies.history('acme', 'headers')).length, 2);
  const pin = await store.toolPins.find('acme', 'plain', 'echo');
  assert.deepEqual(
    [pin?.approvedHash, pin?.blocked, pin?.approvedBy, pin?.seenAt],
    ['hash-echo', true, 'u-alice', at(24)],
  );
  if (level < ADDED_IN.usageLimits) return;
  const rule = await store.usageLimits.find('acme', 'calls-per-member');
  assert.deepEqual(
    [rule?.id, rule?.serverId, rule?.tool, rule?.method, rule?.groupBy, rule?.period, rule?.limit],
    ['limit-1', 'plain', null, 'tools/call', ['member', 'tool'], 'hour', 5_000_000_000],
  );
}
