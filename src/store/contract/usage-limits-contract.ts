/** Usage-limit rules: one per (workspace, name), replaced in place, gone with their workspace. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageLimitInput } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

const input: UsageLimitInput = {
  workspaceId: 'acme',
  name: 'calls-per-minute',
  serverId: 'everything',
  tool: 'echo',
  method: 'tools/call',
  groupBy: ['member', 'tool'],
  period: 'minute',
  limit: 5_000_000_000,
};

export function usageLimitsContract(h: ContractHarness): void {
  describe('usage limits', () => {
    it('upsert round-trips every field, large limits included; find and list return it', async (t) => {
      const { store } = await h.seeded(t);
      const rule = await store.usageLimits.upsert(input);
      const { workspaceId, ...rest } = input;
      assert.deepEqual(
        { ...rule, id: undefined, createdAt: undefined, updatedAt: undefined },
        { ...rest, workspaceId, id: undefined, createdAt: undefined, updatedAt: undefined },
      );
      assert.ok(rule.createdAt instanceof Date && rule.updatedAt instanceof Date);
      assert.deepEqual(await store.usageLimits.find('acme', input.name), rule);
      assert.deepEqual(await store.usageLimits.list('acme'), [rule]);
      assert.deepEqual(await store.usageLimits.list(), [rule]);
      assert.equal(await store.usageLimits.find('acme', 'other'), undefined);
    });

    it('null matchers and an empty group list round-trip', async (t) => {
      const { store } = await h.seeded(t);
      const rule = await store.usageLimits.upsert({
        ...input,
        serverId: null,
        tool: null,
        method: null,
        groupBy: [],
      });
      assert.equal(rule.serverId, null);
      assert.equal(rule.tool, null);
      assert.equal(rule.method, null);
      assert.deepEqual(rule.groupBy, []);
    });

    it('a second upsert with the same name replaces the rule and keeps id and createdAt', async (t) => {
      const { store } = await h.seeded(t);
      const first = await store.usageLimits.upsert(input);
      await sleep(5);
      const second = await store.usageLimits.upsert({ ...input, limit: 3, period: 'day' });
      assert.equal(second.id, first.id);
      assert.deepEqual(second.createdAt, first.createdAt);
      assert.ok(second.updatedAt.getTime() > first.updatedAt.getTime());
      assert.equal(second.limit, 3);
      assert.equal(second.period, 'day');
      assert.equal((await store.usageLimits.list('acme')).length, 1);
    });

    it('lists by workspace, then name', async (t) => {
      const { store } = await h.seeded(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      await store.usageLimits.upsert({ ...input, name: 'zeta' });
      await store.usageLimits.upsert({ ...input, name: 'alpha' });
      await store.usageLimits.upsert({ ...input, workspaceId: 'beta', name: 'middle' });
      assert.deepEqual(
        (await store.usageLimits.list()).map((rule) => `${rule.workspaceId}/${rule.name}`),
        ['acme/alpha', 'acme/zeta', 'beta/middle'],
      );
      assert.deepEqual(
        (await store.usageLimits.list('beta')).map((rule) => rule.name),
        ['middle'],
      );
    });

    it('a rule for an unknown workspace is refused and writes nothing', async (t) => {
      const { store } = await h.seeded(t);
      await assert.rejects(
        store.usageLimits.upsert({ ...input, workspaceId: 'nope' }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(await store.usageLimits.list(), []);
    });

    it('remove deletes one rule and reports whether it existed', async (t) => {
      const { store } = await h.seeded(t);
      await store.usageLimits.upsert(input);
      await store.usageLimits.upsert({ ...input, name: 'other' });
      assert.equal(await store.usageLimits.remove('acme', input.name), true);
      assert.equal(await store.usageLimits.remove('acme', input.name), false);
      assert.deepEqual(
        (await store.usageLimits.list('acme')).map((rule) => rule.name),
        ['other'],
      );
    });

    it('rules go with their workspace', async (t) => {
      const { store } = await h.seeded(t);
      await store.usageLimits.upsert(input);
      await store.workspaces.remove('acme');
      assert.deepEqual(await store.usageLimits.list(), []);
    });
  });
}
