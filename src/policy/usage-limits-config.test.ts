import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { declarativeConfigSchema } from '../config/declarative-schema.ts';
import { createStore } from '../store/create-store.ts';
import { applyDeclaredLimits } from './usage-limits-config.ts';
import type { UsageLimitRuleInput } from './usage-limits-schema.ts';

async function openStore(t: TestContext) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'limits-config-'));
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'test.sqlite') });
  await store.migrate();
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

const rule = (name: string, overrides: Partial<UsageLimitRuleInput> = {}): UsageLimitRuleInput => ({
  name,
  group_by: ['member'],
  period: 'minute',
  limit: 10,
  ...overrides,
});

const declared = (rules: UsageLimitRuleInput[]) => ({
  workspaceId: 'acme',
  path: 'workspaces.0.limits',
  rules,
  serverIds: new Set(['github']),
});

describe('declarative usage limits', () => {
  it('refuses bad rules in the config file with their paths', () => {
    const issuesOf = (limits: unknown[]) => {
      const parsed = declarativeConfigSchema.safeParse({
        workspaces: [{ id: 'acme', name: 'Acme', limits }],
      });
      assert.equal(parsed.success, false);
      return parsed.error.issues.map((issue) => issue.path.join('.')).sort();
    };
    assert.deepEqual(
      issuesOf([
        { name: 'b', period: 'year', limit: 1 },
        { name: 'c', period: 'day', limit: -3 },
        { name: 'd', period: 'day', limit: 1, group_by: ['galaxy'] },
      ]),
      [
        'workspaces.0.limits.0.period',
        'workspaces.0.limits.1.limit',
        'workspaces.0.limits.2.group_by.0',
      ],
    );
    assert.deepEqual(
      issuesOf([
        { name: 'a', period: 'minute', limit: 1 },
        { name: 'a', period: 'hour', limit: 1 },
      ]),
      ['workspaces.0.limits.1.name'],
    );
  });

  it('refuses a rule naming an undeclared server and writes nothing', async (t) => {
    const store = await openStore(t);
    const issues = await applyDeclaredLimits(
      store,
      declared([rule('ok'), rule('bad', { server: 'linear' })]),
    );
    assert.deepEqual(issues, [
      {
        path: 'workspaces.0.limits.1.server',
        message: 'no server "linear" is declared in this workspace',
      },
    ]);
    assert.deepEqual(await store.usageLimits.list('acme'), []);
  });

  it('makes the stored rules exactly the declared ones, leaving unchanged rules untouched', async (t) => {
    const store = await openStore(t);
    await store.usageLimits.upsert({
      workspaceId: 'acme',
      name: 'old',
      serverId: null,
      tool: null,
      method: null,
      groupBy: [],
      period: 'day',
      limit: 1,
    });
    assert.deepEqual(
      await applyDeclaredLimits(
        store,
        declared([rule('a'), rule('b', { server: 'github', tool: 'search' })]),
      ),
      [],
    );
    const first = await store.usageLimits.list('acme');
    assert.deepEqual(
      first.map((r) => [r.name, r.serverId, r.tool, r.limit]),
      [
        ['a', null, null, 10],
        ['b', 'github', 'search', 10],
      ],
    );
    await applyDeclaredLimits(
      store,
      declared([rule('a'), rule('b', { server: 'github', tool: 'search', limit: 5 })]),
    );
    const second = await store.usageLimits.list('acme');
    assert.deepEqual(second[0], first[0], 'unchanged rule not rewritten');
    assert.equal(second[1]!.limit, 5);
    await applyDeclaredLimits(store, declared([]));
    assert.deepEqual(await store.usageLimits.list('acme'), []);
  });
});
