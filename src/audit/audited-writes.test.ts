import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore } from '../store/create-store.ts';
import { createAuditLog } from './audit-log.ts';
import type { AuditContext } from './audit-context.ts';
import { auditedWrites } from './audited-writes.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-audited-writes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const admin: AuditContext = {
  actor: { kind: 'user', id: 'u-1', email: 'admin@acme.test' },
  source: 'api',
};

describe('audited writes', () => {
  it('name only verbs the store has, so none is silently left unwatched', async (t) => {
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'verbs.db') });
    t.after(() => store.close());
    const areas = store as unknown as Record<string, Record<string, unknown> | undefined>;
    for (const write of auditedWrites)
      assert.equal(
        typeof areas[write.area]?.[write.verb],
        'function',
        `${write.area}.${write.verb}`,
      );
  });

  it('records usage limits created, changed and removed by their workspace and name', async (t) => {
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'limits.db') });
    t.after(() => store.close());
    await store.migrate();
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    const log = createAuditLog({ store });
    const watched = log.watch(store, admin);
    const rule = {
      workspaceId: 'acme',
      name: 'per-member',
      serverId: null,
      tool: null,
      method: null,
      groupBy: ['member' as const],
      period: 'minute' as const,
      limit: 10,
    };
    await watched.usageLimits.upsert(rule);
    await watched.usageLimits.upsert({ ...rule, limit: 20 });
    await watched.usageLimits.remove('acme', 'per-member');
    const entries = (await log.list({})).reverse();
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.targetId, entry.workspaceId]),
      [
        ['usage_limit.create', 'acme/per-member', 'acme'],
        ['usage_limit.update', 'acme/per-member', 'acme'],
        ['usage_limit.delete', 'acme/per-member', 'acme'],
      ],
    );
    assert.deepEqual(
      [
        (entries[1]!.before as { limit: number }).limit,
        (entries[1]!.after as { limit: number }).limit,
      ],
      [10, 20],
    );
  });
});
