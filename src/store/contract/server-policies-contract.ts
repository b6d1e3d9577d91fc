/** Server policies (versioned documents) and tool pins: per server, gone with their server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { Store } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith } from './contract-support.ts';

const document = {
  mode: 'allowlist',
  tools: { echo: { enabled: true, roles: { viewer: false } } },
};

async function withServer(h: ContractHarness, t: TestContext) {
  const seeded = await h.seeded(t);
  await seeded.store.servers.upsert({
    workspaceId: 'acme',
    id: 'everything',
    name: 'Everything',
    transport: 'http',
    url: 'http://127.0.0.1:9/mcp',
    timeoutMs: 1000,
  });
  return seeded;
}

const observation = (store: Store, hash: string, approveIfNew: boolean) =>
  store.toolPins.observe({
    workspaceId: 'acme',
    serverId: 'everything',
    tool: 'echo',
    hash,
    definition: { name: 'echo', description: hash },
    at: new Date(),
    approveIfNew,
  });

export function serverPoliciesContract(h: ContractHarness): void {
  describe('server policies', () => {
    it('save appends versions; current returns the newest, history all of them newest first', async (t) => {
      const { store, user } = await withServer(h, t);
      assert.equal(await store.serverPolicies.current('acme', 'everything'), undefined);
      const first = await store.serverPolicies.save({
        workspaceId: 'acme',
        serverId: 'everything',
        document,
        updatedBy: user.id,
      });
      assert.equal(first.version, 1);
      assert.deepEqual(first.document, document);
      assert.equal(first.updatedBy, user.id);
      assert.ok(first.updatedAt instanceof Date);
      const second = await store.serverPolicies.save({
        workspaceId: 'acme',
        serverId: 'everything',
        document: { mode: 'open' },
        updatedBy: null,
        expectedVersion: 1,
      });
      assert.equal(second.version, 2);
      assert.deepEqual(await store.serverPolicies.current('acme', 'everything'), second);
      assert.deepEqual(
        (await store.serverPolicies.history('acme', 'everything')).map((p) => p.version),
        [2, 1],
      );
      assert.deepEqual(await store.serverPolicies.listCurrent(), [second]);
    });

    it('save with a stale expectedVersion is a conflict and writes nothing', async (t) => {
      const { store } = await withServer(h, t);
      const input = { workspaceId: 'acme', serverId: 'everything', document, updatedBy: null };
      await store.serverPolicies.save(input);
      await assert.rejects(
        store.serverPolicies.save({ ...input, expectedVersion: 0 }),
        isStoreErrorWith('conflict'),
      );
      assert.equal((await store.serverPolicies.history('acme', 'everything')).length, 1);
    });

    it('a policy for an unknown server is refused', async (t) => {
      const { store } = await h.seeded(t);
      await assert.rejects(
        store.serverPolicies.save({
          workspaceId: 'acme',
          serverId: 'nope',
          document,
          updatedBy: null,
        }),
        isStoreErrorWith('reference_not_found'),
      );
    });

    it('policies and pins go with their server', async (t) => {
      const { store } = await withServer(h, t);
      await store.serverPolicies.save({
        workspaceId: 'acme',
        serverId: 'everything',
        document,
        updatedBy: null,
      });
      await observation(store, 'h1', true);
      await store.servers.remove('acme', 'everything');
      assert.equal(await store.serverPolicies.current('acme', 'everything'), undefined);
      assert.deepEqual(await store.toolPins.list('acme', 'everything'), []);
    });
  });

  describe('tool pins', () => {
    it('observe with approveIfNew pins the first definition, later ones only as seen', async (t) => {
      const { store } = await withServer(h, t);
      const first = await observation(store, 'h1', true);
      assert.equal(first.approvedHash, 'h1');
      assert.deepEqual(first.approvedDefinition, { name: 'echo', description: 'h1' });
      assert.equal(first.seenHash, 'h1');
      assert.equal(first.blocked, false);
      const changed = await observation(store, 'h2', true);
      assert.equal(changed.approvedHash, 'h1');
      assert.equal(changed.seenHash, 'h2');
      assert.deepEqual(changed.seenDefinition, { name: 'echo', description: 'h2' });
      assert.deepEqual(await store.toolPins.list('acme', 'everything'), [changed]);
    });

    it('observe without approveIfNew leaves the tool unapproved', async (t) => {
      const { store } = await withServer(h, t);
      const pin = await observation(store, 'h1', false);
      assert.equal(pin.approvedHash, null);
      assert.equal(pin.approvedDefinition, null);
    });

    it('approve takes the last seen definition and lifts a block; block quarantines', async (t) => {
      const { store, user } = await withServer(h, t);
      await observation(store, 'h1', true);
      await observation(store, 'h2', true);
      const blocked = await store.toolPins.block('acme', 'everything', 'echo');
      assert.equal(blocked?.blocked, true);
      const at = new Date();
      const approved = await store.toolPins.approve('acme', 'everything', 'echo', user.id, at);
      assert.equal(approved?.approvedHash, 'h2');
      assert.equal(approved?.approvedBy, user.id);
      assert.equal(approved?.blocked, false);
      assert.equal(approved?.approvedAt?.getTime(), at.getTime());
    });

    it('approve and block of a tool never seen change nothing', async (t) => {
      const { store } = await withServer(h, t);
      assert.equal(
        await store.toolPins.approve('acme', 'everything', 'x', null, new Date()),
        undefined,
      );
      assert.equal(await store.toolPins.block('acme', 'everything', 'x'), undefined);
      assert.deepEqual(await store.toolPins.list('acme', 'everything'), []);
    });
  });
}
