/** Servers and API keys. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

export function accessContract(h: ContractHarness): void {
  describe('servers', () => {
    const stdio = {
      workspaceId: 'acme',
      id: 'memory',
      name: 'Memory',
      transport: 'stdio' as const,
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { MEMORY_FILE: '/tmp/memory.json', TOKEN: 's3cr3t' },
      cwd: '/srv/memory',
      timeoutMs: 30_000,
    };

    it('upsert round-trips every field', async (t) => {
      const { store } = await h.seeded(t);
      const server = await store.servers.upsert(stdio);
      assert.deepEqual(
        { ...server, createdAt: undefined, updatedAt: undefined },
        {
          ...stdio,
          url: null,
          upstreamAuth: { mode: 'none', forwardIdentity: false },
          capture: { mode: 'metadata', masks: [] },
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
      assert.deepEqual(await store.servers.find('acme', 'memory'), server);
      const http = await store.servers.upsert({
        workspaceId: 'acme',
        id: 'everything',
        name: 'Everything',
        transport: 'http',
        url: 'http://127.0.0.1:3001/mcp',
        timeoutMs: 60_000,
      });
      assert.equal(http.command, null);
      assert.equal(http.cwd, null);
      assert.deepEqual(http.args, []);
      assert.deepEqual(http.env, {});
    });

    it('upsert round-trips upstream auth as given and replaces it on update', async (t) => {
      const { store } = await h.seeded(t);
      const upstreamAuth = {
        mode: 'headers' as const,
        headers: { Authorization: 'pcv1.sealed-bearer', 'X-Api-Key': 'pcv1.sealed-key' },
        forwardIdentity: true,
      };
      const base = {
        workspaceId: 'acme',
        id: 'linear',
        name: 'Linear',
        transport: 'http' as const,
        url: 'https://mcp.linear.test/mcp',
        timeoutMs: 60_000,
      };
      const server = await store.servers.upsert({ ...base, upstreamAuth });
      assert.deepEqual(server.upstreamAuth, upstreamAuth);
      assert.deepEqual((await store.servers.find('acme', 'linear'))?.upstreamAuth, upstreamAuth);
      const cleared = await store.servers.upsert(base);
      assert.deepEqual(cleared.upstreamAuth, { mode: 'none', forwardIdentity: false });
    });

    it('upsert updates in place, keeps createdAt and moves updatedAt', async (t) => {
      const { store } = await h.seeded(t);
      const first = await store.servers.upsert(stdio);
      await sleep(5);
      const second = await store.servers.upsert({ ...stdio, name: 'Memory 2', args: [] });
      assert.equal(second.name, 'Memory 2');
      assert.deepEqual(second.args, []);
      assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
      assert.ok(second.updatedAt.getTime() > first.updatedAt.getTime());
      assert.equal((await store.servers.list('acme')).length, 1);
    });

    it('updateSecrets replaces only the given sealed parts and keeps updatedAt', async (t) => {
      const { store } = await h.seeded(t);
      const before = await store.servers.upsert(stdio);
      await sleep(2);
      await store.servers.updateSecrets('acme', 'memory', { env: { TOKEN: 'resealed' } });
      const upstreamAuth = {
        mode: 'headers' as const,
        headers: { Authorization: 'pcv1.resealed' },
        forwardIdentity: false,
      };
      await store.servers.updateSecrets('acme', 'memory', { upstreamAuth });
      await store.servers.updateSecrets('acme', 'memory', {});
      await store.servers.updateSecrets('acme', 'unknown', { env: {} });
      assert.deepEqual(await store.servers.find('acme', 'memory'), {
        ...before,
        env: { TOKEN: 'resealed' },
        upstreamAuth,
      });
      assert.deepEqual(await store.servers.list(), [
        { ...before, env: { TOKEN: 'resealed' }, upstreamAuth },
      ]);
    });

    it('list filters by workspace, remove deletes one server', async (t) => {
      const { store } = await h.seeded(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      await store.servers.upsert(stdio);
      await store.servers.upsert({ ...stdio, id: 'another' });
      await store.servers.upsert({ ...stdio, workspaceId: 'beta' });
      assert.deepEqual(
        (await store.servers.list()).map((s) => `${s.workspaceId}/${s.id}`),
        ['acme/another', 'acme/memory', 'beta/memory'],
      );
      assert.deepEqual(
        (await store.servers.list('beta')).map((s) => s.id),
        ['memory'],
      );
      await store.servers.remove('acme', 'memory');
      await store.servers.remove('acme', 'memory');
      assert.equal(await store.servers.find('acme', 'memory'), undefined);
      assert.ok(await store.servers.find('beta', 'memory'));
    });

    it('upsert for an unknown workspace fails and writes nothing', async (t) => {
      const store = await h.open(t);
      await assert.rejects(
        store.servers.upsert({ ...stdio, workspaceId: 'missing' }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(await store.servers.list(), []);
    });
  });

  describe('api keys', () => {
    async function withKey(t: TestContext) {
      const seed = await h.seeded(t);
      const key = await seed.store.apiKeys.upsert({
        name: 'ci',
        userId: seed.user.id,
        workspaceId: 'acme',
        keyHash: 'a'.repeat(64),
        prefix: 'pk_aaaaa',
        serverIds: ['everything'],
        expiresAt: new Date('2030-01-01T00:00:00.000Z'),
      });
      return { ...seed, key };
    }

    it('upsert round-trips every field and findByHash finds the key', async (t) => {
      const { store, user, key } = await withKey(t);
      assert.equal(key.name, 'ci');
      assert.equal(key.userId, user.id);
      assert.equal(key.workspaceId, 'acme');
      assert.equal(key.prefix, 'pk_aaaaa');
      assert.deepEqual(key.serverIds, ['everything']);
      assert.equal(key.expiresAt?.toISOString(), '2030-01-01T00:00:00.000Z');
      assert.equal(key.revokedAt, null);
      assert.deepEqual(await store.apiKeys.findByHash('a'.repeat(64)), key);
      assert.equal(await store.apiKeys.findByHash('b'.repeat(64)), undefined);
      assert.deepEqual(await store.apiKeys.find(key.id), key);
      assert.equal(await store.apiKeys.find(randomUUID()), undefined);
    });

    it('upsert by workspace and name updates the same key', async (t) => {
      const { store, user, key } = await withKey(t);
      const updated = await store.apiKeys.upsert({
        name: 'ci',
        userId: user.id,
        workspaceId: 'acme',
        keyHash: 'c'.repeat(64),
        prefix: 'pk_ccccc',
        serverIds: null,
      });
      assert.equal(updated.id, key.id);
      assert.equal(updated.serverIds, null);
      assert.equal(updated.expiresAt, null);
      assert.equal(await store.apiKeys.findByHash('a'.repeat(64)), undefined);
      assert.equal((await store.apiKeys.list('acme')).length, 1);
    });

    it('revoked and expired keys are still found by hash', async (t) => {
      const { store, user, key } = await withKey(t);
      const at = new Date('2026-02-02T02:02:02.002Z');
      await store.apiKeys.revoke(key.id, at);
      await store.apiKeys.revoke(key.id, new Date());
      assert.equal(
        (await store.apiKeys.findByHash(key.keyHash))?.revokedAt?.toISOString(),
        at.toISOString(),
      );
      await store.apiKeys.upsert({
        name: 'old',
        userId: user.id,
        workspaceId: 'acme',
        keyHash: 'd'.repeat(64),
        prefix: 'pk_ddddd',
        expiresAt: new Date('2020-01-01T00:00:00.000Z'),
      });
      assert.equal(
        (await store.apiKeys.findByHash('d'.repeat(64)))?.expiresAt?.getUTCFullYear(),
        2020,
      );
      await store.apiKeys.revoke(randomUUID(), at);
    });

    it('upsert keeps revokedAt when omitted and clears it when null', async (t) => {
      const { store, user, key } = await withKey(t);
      await store.apiKeys.revoke(key.id, new Date());
      const input = {
        name: 'ci',
        userId: user.id,
        workspaceId: 'acme',
        keyHash: key.keyHash,
        prefix: key.prefix,
      };
      assert.ok((await store.apiKeys.upsert(input)).revokedAt);
      assert.equal((await store.apiKeys.upsert({ ...input, revokedAt: null })).revokedAt, null);
    });

    it('list filters by workspace and orders by name', async (t) => {
      const { store, user } = await withKey(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      for (const [workspaceId, name, hash] of [
        ['acme', 'agent', 'e'],
        ['beta', 'ci', 'f'],
      ] as const)
        await store.apiKeys.upsert({
          name,
          userId: user.id,
          workspaceId,
          keyHash: hash.repeat(64),
          prefix: 'pk',
        });
      assert.deepEqual(
        (await store.apiKeys.list('acme')).map((k) => k.name),
        ['agent', 'ci'],
      );
      assert.equal((await store.apiKeys.list()).length, 3);
    });

    it('a key hash used by another key, an unknown user or workspace is refused', async (t) => {
      const { store, user } = await withKey(t);
      const base = { userId: user.id, workspaceId: 'acme', prefix: 'pk' };
      await assert.rejects(
        store.apiKeys.upsert({ ...base, name: 'copy', keyHash: 'a'.repeat(64) }),
        isStoreErrorWith('conflict'),
      );
      await assert.rejects(
        store.apiKeys.upsert({
          ...base,
          name: 'ghost',
          keyHash: '1'.repeat(64),
          userId: randomUUID(),
        }),
        isStoreErrorWith('reference_not_found'),
      );
      await assert.rejects(
        store.apiKeys.upsert({
          ...base,
          name: 'lost',
          keyHash: '2'.repeat(64),
          workspaceId: 'missing',
        }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(
        (await store.apiKeys.list()).map((k) => k.name),
        ['ci'],
      );
    });
  });
}
