/** Members' own secrets of stdio servers (`member_secret` environment entries). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

export function memberSecretsContract(h: ContractHarness): void {
  async function seeded(t: TestContext) {
    const { store, user } = await h.seeded(t);
    const other = await store.users.upsert({ email: 'bob@acme.test' });
    await store.members.upsert({ workspaceId: 'acme', userId: user.id, role: 'member' });
    await store.members.upsert({ workspaceId: 'acme', userId: other.id, role: 'member' });
    await store.servers.upsert({
      workspaceId: 'acme',
      id: 'github',
      name: 'GitHub',
      transport: 'stdio',
      command: 'github-mcp',
      env: { LOG_LEVEL: 'pcv1.sealed-level' },
      memberEnv: { GITHUB_TOKEN: { secret: 'token', description: 'A personal access token' } },
      timeoutMs: 30_000,
    });
    const key = { workspaceId: 'acme', serverId: 'github', userId: user.id };
    return { store, user, other, key };
  }

  describe('member secrets', () => {
    it('servers round-trip their member environment, and servers without one have none', async (t) => {
      const { store } = await seeded(t);
      const server = await store.servers.find('acme', 'github');
      assert.deepEqual(server?.memberEnv, {
        GITHUB_TOKEN: { secret: 'token', description: 'A personal access token' },
      });
      const plain = await store.servers.upsert({
        workspaceId: 'acme',
        id: 'memory',
        name: 'Memory',
        transport: 'stdio',
        command: 'memory-mcp',
        timeoutMs: 30_000,
      });
      assert.equal(plain.memberEnv, undefined);
    });

    it('put creates and replaces values by name, per member, and lists only the one member', async (t) => {
      const { store, other, key } = await seeded(t);
      await store.memberSecrets.put('acme', 'github', key.userId, { token: 'sealed-1' });
      await store.memberSecrets.put('acme', 'github', other.id, { token: 'sealed-bob' });
      const [first] = await store.memberSecrets.list(key);
      await sleep(5);
      await store.memberSecrets.put('acme', 'github', key.userId, {
        token: 'sealed-2',
        extra: 'sealed-3',
      });
      const mine = await store.memberSecrets.list(key);
      assert.deepEqual(
        mine.map((secret) => [secret.name, secret.sealedValue]),
        [
          ['extra', 'sealed-3'],
          ['token', 'sealed-2'],
        ],
      );
      assert.ok(mine[1]!.updatedAt.getTime() > first!.updatedAt.getTime());
      assert.equal(mine[0]!.userId, key.userId);
      assert.equal((await store.memberSecrets.list()).length, 3);
      const bobs = await store.memberSecrets.list({ ...key, userId: other.id });
      assert.deepEqual(
        bobs.map((secret) => secret.sealedValue),
        ['sealed-bob'],
      );
    });

    it('put with no values changes nothing', async (t) => {
      const { store, key } = await seeded(t);
      await store.memberSecrets.put('acme', 'github', key.userId, {});
      assert.deepEqual(await store.memberSecrets.list(key), []);
    });

    it('remove deletes one name and says whether there was one', async (t) => {
      const { store, key } = await seeded(t);
      await store.memberSecrets.put('acme', 'github', key.userId, { token: 's', extra: 'e' });
      assert.equal(await store.memberSecrets.remove('acme', 'github', key.userId, 'token'), true);
      assert.equal(await store.memberSecrets.remove('acme', 'github', key.userId, 'token'), false);
      assert.deepEqual(
        (await store.memberSecrets.list(key)).map((secret) => secret.name),
        ['extra'],
      );
    });

    it('refuses values of a user who is not a member, or for an unknown server', async (t) => {
      const { store, key } = await seeded(t);
      const stranger = await store.users.upsert({ email: 'eve@example.test' });
      await assert.rejects(
        store.memberSecrets.put('acme', 'github', stranger.id, { token: 's' }),
        isStoreErrorWith('reference_not_found'),
      );
      await assert.rejects(
        store.memberSecrets.put('acme', 'nope', key.userId, { token: 's' }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(await store.memberSecrets.list(), []);
    });

    it('removing the member, the user or the server removes their values', async (t) => {
      const { store, user, other, key } = await seeded(t);
      const carol = await store.users.upsert({ email: 'carol@acme.test' });
      await store.members.upsert({ workspaceId: 'acme', userId: carol.id, role: 'member' });
      await store.memberSecrets.put('acme', 'github', user.id, { token: 'a' });
      await store.memberSecrets.put('acme', 'github', other.id, { token: 'b' });
      await store.memberSecrets.put('acme', 'github', carol.id, { token: 'c' });
      await store.members.remove('acme', other.id);
      assert.deepEqual(await store.memberSecrets.list({ ...key, userId: other.id }), []);
      await store.users.remove(carol.id);
      assert.deepEqual(
        (await store.memberSecrets.list()).map((secret) => secret.userId),
        [user.id],
      );
      await store.servers.remove('acme', 'github');
      assert.deepEqual(await store.memberSecrets.list(), []);
    });

    it('keeps values when the member or the server is updated in place', async (t) => {
      const { store, key } = await seeded(t);
      await store.memberSecrets.put('acme', 'github', key.userId, { token: 'a' });
      await store.members.upsert({ workspaceId: 'acme', userId: key.userId, role: 'admin' });
      const server = await store.servers.find('acme', 'github');
      await store.servers.upsert({ ...server!, name: 'GitHub (renamed)' });
      assert.equal((await store.memberSecrets.list(key)).length, 1);
    });
  });
}
