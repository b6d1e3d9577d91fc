/** Upstream OAuth registrations, connections, authorizations in flight, and leases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith } from './contract-support.ts';

const minute = 60_000;

async function withServer(store: Store): Promise<void> {
  await store.servers.upsert({
    workspaceId: 'acme',
    id: 'linear',
    name: 'Linear',
    transport: 'http',
    url: 'https://mcp.linear.test/mcp',
    timeoutMs: 30_000,
  });
}

const tokens = (ownerId: string) => ({
  workspaceId: 'acme',
  serverId: 'linear',
  ownerId,
  issuer: 'https://as.linear.test',
  accessToken: 'pcv1.sealed-access',
  refreshToken: 'pcv1.sealed-refresh',
  tokenType: 'Bearer',
  expiresAt: new Date('2026-05-01T10:00:00.000Z'),
  scope: 'read write',
});

export function upstreamConnectionsContract(h: ContractHarness): void {
  describe('upstream OAuth clients', () => {
    it('save round-trips and replaces by (issuer, redirect uri)', async (t) => {
      const store = await h.open(t);
      const first = await store.upstreamClients.save({
        issuer: 'https://as.test',
        redirectUri: 'https://gw.test/oauth/upstream/callback',
        clientId: 'client-1',
        clientSecret: 'pcv1.sealed',
        clientSecretExpiresAt: null,
        method: 'dynamic',
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
      assert.equal(first.clientId, 'client-1');
      assert.deepEqual(
        await store.upstreamClients.find(
          'https://as.test',
          'https://gw.test/oauth/upstream/callback',
        ),
        first,
      );
      // The issuer is compared byte for byte: a trailing slash is another AS.
      assert.equal(
        await store.upstreamClients.find(
          'https://as.test/',
          'https://gw.test/oauth/upstream/callback',
        ),
        undefined,
      );
      const second = await store.upstreamClients.save({
        ...first,
        clientId: 'client-2',
        clientSecret: null,
        clientSecretExpiresAt: new Date('2027-01-01T00:00:00.000Z'),
        tokenEndpointAuthMethod: 'none',
      });
      assert.equal(second.clientId, 'client-2');
      assert.equal(second.clientSecret, null);
      assert.equal(second.clientSecretExpiresAt?.toISOString(), '2027-01-01T00:00:00.000Z');
      assert.equal((await store.upstreamClients.list()).length, 1);
      await store.upstreamClients.remove(first.issuer, first.redirectUri);
      assert.deepEqual(await store.upstreamClients.list(), []);
    });

    it("a workspace's own registration goes with the workspace; shared ones stay", async (t) => {
      const store = await h.open(t);
      await store.workspaces.upsert({ id: 'globex', name: 'Globex' });
      const registration = {
        issuer: 'https://as.test',
        clientSecret: null,
        clientSecretExpiresAt: null,
        method: 'dynamic',
        tokenEndpointAuthMethod: 'client_secret_basic',
      } as const;
      const own = await store.upstreamClients.save({
        ...registration,
        redirectUri: 'urn:portcullis:client_credentials:workspace:globex',
        clientId: 'globex-robot',
        workspaceId: 'globex',
      });
      assert.equal(own.workspaceId, 'globex');
      const shared = await store.upstreamClients.save({
        ...registration,
        redirectUri: 'https://gw.test/oauth/upstream/callback',
        clientId: 'gateway-app',
      });
      assert.equal(shared.workspaceId, null);
      await store.workspaces.remove('globex');
      assert.deepEqual(
        (await store.upstreamClients.list()).map((client) => client.clientId),
        ['gateway-app'],
      );
    });
  });

  describe('upstream connections', () => {
    it('save round-trips per (workspace, server, owner) and keeps owners apart', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      const mine = await store.upstreamConnections.save({
        ...tokens(user.id),
        connectedBy: user.id,
      });
      const shared = await store.upstreamConnections.save({
        ...tokens(''),
        accessToken: 'pcv1.other',
        refreshToken: null,
        expiresAt: null,
        scope: null,
      });
      assert.equal(mine.status, 'connected');
      assert.equal(mine.brokenReason, null);
      assert.equal(mine.connectedBy, user.id);
      assert.equal(mine.expiresAt?.toISOString(), '2026-05-01T10:00:00.000Z');
      assert.equal(shared.refreshToken, null);
      assert.equal(shared.expiresAt, null);
      assert.deepEqual(await store.upstreamConnections.find('acme', 'linear', user.id), mine);
      assert.deepEqual(await store.upstreamConnections.find('acme', 'linear', ''), shared);
      assert.equal(await store.upstreamConnections.find('acme', 'other', user.id), undefined);
      assert.deepEqual(
        (await store.upstreamConnections.list('acme', 'linear')).map((c) => c.ownerId),
        ['', user.id],
      );
      assert.deepEqual(await store.upstreamConnections.listForUser(user.id), [mine]);
    });

    it('markBroken keeps the tokens and a reason; save makes it connected again', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      const saved = await store.upstreamConnections.save({
        ...tokens(user.id),
        connectedBy: user.id,
      });
      await store.upstreamConnections.markBroken(
        'acme',
        'linear',
        user.id,
        'invalid_grant',
        new Date(),
      );
      const broken = await store.upstreamConnections.find('acme', 'linear', user.id);
      assert.equal(broken?.status, 'broken');
      assert.equal(broken?.brokenReason, 'invalid_grant');
      assert.equal(broken?.accessToken, saved.accessToken);
      // Re-sealing (rotate-key) replaces the tokens only: still broken, same reason.
      await store.upstreamConnections.reseal('acme', 'linear', user.id, {
        accessToken: 'pcv1.resealed-access',
        refreshToken: null,
      });
      const resealed = await store.upstreamConnections.find('acme', 'linear', user.id);
      assert.equal(resealed?.accessToken, 'pcv1.resealed-access');
      assert.equal(resealed?.refreshToken, null);
      assert.equal(resealed?.status, 'broken');
      assert.equal(resealed?.updatedAt.getTime(), broken?.updatedAt.getTime());
      await store.upstreamConnections.markBroken('acme', 'linear', 'nobody', 'x', new Date());
      assert.equal(await store.upstreamConnections.find('acme', 'linear', 'nobody'), undefined);
      const again = await store.upstreamConnections.save({
        ...tokens(user.id),
        accessToken: 'pcv1.new',
      });
      assert.equal(again.status, 'connected');
      assert.equal(again.brokenReason, null);
      assert.equal(again.accessToken, 'pcv1.new');
      // Omitted connectedBy keeps who connected it first.
      assert.equal(again.connectedBy, user.id);
      assert.equal(again.createdAt.getTime(), saved.createdAt.getTime());
    });

    it('remove tells whether it removed something', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      await store.upstreamConnections.save(tokens(user.id));
      assert.equal(await store.upstreamConnections.remove('acme', 'linear', user.id), true);
      assert.equal(await store.upstreamConnections.remove('acme', 'linear', user.id), false);
    });

    it('go with their server, their workspace, and their per-user owner', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      await store.upstreamConnections.save(tokens(user.id));
      await store.upstreamConnections.save(tokens(''));
      await store.users.remove(user.id);
      assert.deepEqual(
        (await store.upstreamConnections.list('acme')).map((c) => c.ownerId),
        [''],
      );
      await store.servers.remove('acme', 'linear');
      assert.deepEqual(await store.upstreamConnections.list('acme'), []);
      await withServer(store);
      await store.upstreamConnections.save(tokens(''));
      await store.workspaces.remove('acme');
      assert.deepEqual(await store.upstreamConnections.list('acme'), []);
    });

    it("go with the member's membership of their workspace, not the shared one or other workspaces'", async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      await store.workspaces.upsert({ id: 'other', name: 'Other' });
      await store.servers.upsert({
        workspaceId: 'other',
        id: 'linear',
        name: 'Linear',
        transport: 'http',
        url: 'https://mcp.linear.test/mcp',
        timeoutMs: 30_000,
      });
      for (const workspaceId of ['acme', 'other'])
        await store.members.upsert({ workspaceId, userId: user.id, role: 'member' });
      await store.upstreamConnections.save(tokens(user.id));
      await store.upstreamConnections.save(tokens(''));
      await store.upstreamConnections.save({ ...tokens(user.id), workspaceId: 'other' });
      await store.members.remove('acme', user.id);
      assert.deepEqual(
        (await store.upstreamConnections.list('acme')).map((c) => c.ownerId),
        [''],
      );
      assert.deepEqual(
        (await store.upstreamConnections.list('other')).map((c) => c.ownerId),
        [user.id],
      );
    });

    it('refuses a connection for a server that does not exist, writing nothing', async (t) => {
      const { store, user } = await h.seeded(t);
      await assert.rejects(
        store.upstreamConnections.save(tokens(user.id)),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(await store.upstreamConnections.list('acme'), []);
    });
  });

  describe('upstream authorizations', () => {
    it('consume returns it once, and nothing once expired', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      const now = new Date();
      const input = {
        stateHash: 'state-1',
        workspaceId: 'acme',
        serverId: 'linear',
        ownerId: user.id,
        userId: user.id,
        pending: 'pcv1.sealed-pending',
        returnUrl: '/interaction/abc/connected',
        expiresAt: new Date(now.getTime() + 10 * minute),
      };
      const created = await store.upstreamAuthorizations.create(input);
      assert.equal(created.returnUrl, '/interaction/abc/connected');
      const consumed = await Promise.all([
        store.upstreamAuthorizations.consume('state-1', now),
        store.upstreamAuthorizations.consume('state-1', now),
      ]);
      assert.deepEqual(
        consumed.filter((c) => c !== undefined),
        [created],
      );
      await store.upstreamAuthorizations.create({ ...input, stateHash: 'state-2' });
      assert.equal(
        await store.upstreamAuthorizations.consume(
          'state-2',
          new Date(now.getTime() + 11 * minute),
        ),
        undefined,
      );
      assert.equal(await store.upstreamAuthorizations.consume('state-2', now), undefined);
    });

    it('removeExpired removes only expired ones', async (t) => {
      const { store, user } = await h.seeded(t);
      await withServer(store);
      const now = new Date();
      const base = {
        workspaceId: 'acme',
        serverId: 'linear',
        ownerId: '',
        userId: user.id,
        pending: 'p',
        returnUrl: null,
      };
      await store.upstreamAuthorizations.create({
        ...base,
        stateHash: 'old',
        expiresAt: new Date(now.getTime() - minute),
      });
      await store.upstreamAuthorizations.create({
        ...base,
        stateHash: 'new',
        expiresAt: new Date(now.getTime() + minute),
      });
      assert.equal(await store.upstreamAuthorizations.removeExpired(now), 1);
      assert.equal((await store.upstreamAuthorizations.consume('new', now))?.stateHash, 'new');
    });
  });

  describe('leases', () => {
    it('one holder at a time until it expires or is released', async (t) => {
      const store = await h.open(t);
      const now = new Date();
      const until = new Date(now.getTime() + minute);
      const racing = await Promise.all([
        store.leases.acquire('refresh:a', 'one', until, now),
        store.leases.acquire('refresh:a', 'two', until, now),
      ]);
      assert.deepEqual(racing.filter(Boolean).length, 1);
      const holder = racing[0] ? 'one' : 'two';
      const other = racing[0] ? 'two' : 'one';
      assert.equal(await store.leases.acquire('refresh:a', holder, until, now), true);
      assert.equal(await store.leases.acquire('refresh:b', other, until, now), true);
      await store.leases.release('refresh:a', other);
      assert.equal(await store.leases.acquire('refresh:a', other, until, now), false);
      const later = new Date(until.getTime() + 1);
      assert.equal(
        await store.leases.acquire('refresh:a', other, new Date(later.getTime() + minute), later),
        true,
      );
      await store.leases.release('refresh:a', other);
      assert.equal(await store.leases.acquire('refresh:a', holder, until, now), true);
    });
  });
}
