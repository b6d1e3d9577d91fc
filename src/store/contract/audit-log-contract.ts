/** The audit log: append under the head lock, the chain it forms, list filters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditEntryHash } from '../../audit/audit-hash.ts';
import { AUDIT_GENESIS_HASH } from '../model.ts';
import type { AuditEntry } from '../model.ts';
import type { AuditEntryInput, Store } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';

export function auditEntryInput(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    time: new Date('2026-01-01T00:00:00.000Z'),
    actorKind: 'user',
    actorId: 'user-1',
    actorEmail: 'admin@acme.test',
    apiKeyId: null,
    action: 'server.update',
    targetType: 'server',
    targetId: 'everything',
    workspaceId: 'acme',
    before: { name: 'Everything', args: ['a'], nested: { b: 1, a: [true, null] } },
    after: { name: 'Everything 2', args: [], nested: { b: 2, a: [] } },
    source: 'api',
    requestId: 'req-1',
    ...overrides,
  };
}

function assertChained(entries: readonly AuditEntry[]): void {
  let previous = { seq: 0, hash: AUDIT_GENESIS_HASH };
  for (const entry of entries) {
    assert.equal(entry.seq, previous.seq + 1);
    assert.equal(entry.prevHash, previous.hash);
    const { hash, ...rest } = entry;
    assert.equal(auditEntryHash(rest), hash);
    previous = entry;
  }
}

async function appendAll(store: Store, inputs: readonly AuditEntryInput[]): Promise<void> {
  for (const input of inputs) await store.auditLog.append(input, auditEntryHash);
}

export function auditLogContract(h: ContractHarness): void {
  describe('audit log', () => {
    it('an empty log has the genesis head and no entries', async (t) => {
      const store = await h.open(t);
      assert.deepEqual(await store.auditLog.head(), { seq: 0, hash: AUDIT_GENESIS_HASH });
      assert.deepEqual(await store.auditLog.list({}), []);
      assert.deepEqual(await store.auditLog.listChain(0, 10), []);
    });

    it('append numbers entries from 1, chains each to the previous, and round-trips every field', async (t) => {
      const store = await h.open(t);
      const first = await store.auditLog.append(auditEntryInput(), auditEntryHash);
      const sparse = await store.auditLog.append(
        auditEntryInput({
          time: new Date('2026-01-01T00:00:01.234Z'),
          actorKind: 'config',
          actorId: 'portcullis.yaml',
          actorEmail: null,
          action: 'workspace.create',
          targetType: 'workspace',
          targetId: 'beta',
          workspaceId: null,
          before: null,
          after: { id: 'beta', text: 'ünïcode "quoted" \\ \u2028' },
          source: 'config',
          requestId: null,
        }),
        auditEntryHash,
      );
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, AUDIT_GENESIS_HASH);
      assert.equal(sparse.seq, 2);
      assert.equal(sparse.prevHash, first.hash);
      const chain = await store.auditLog.listChain(0, 10);
      assert.deepEqual(chain, [first, sparse]);
      assertChained(chain);
      assert.deepEqual(await store.auditLog.head(), { seq: 2, hash: sparse.hash });
    });

    it('concurrent appends never fork the chain', async (t) => {
      const store = await h.open(t);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.auditLog.append(auditEntryInput({ targetId: `server-${i}` }), auditEntryHash),
        ),
      );
      const chain = await store.auditLog.listChain(0, 100);
      assert.equal(chain.length, 40);
      assertChained(chain);
      assert.equal(new Set(chain.map((entry) => entry.targetId)).size, 40);
      assert.deepEqual(await store.auditLog.head(), { seq: 40, hash: chain[39]!.hash });
    });

    it('concurrent transactions that lock first and append take turns', async (t) => {
      const store = await h.open(t);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.auditLog.lock();
            await tx.workspaces.upsert({ id: `ws-${i}`, name: `W${i}` });
            await tx.auditLog.append(auditEntryInput({ targetId: `ws-${i}` }), auditEntryHash);
            await tx.auditLog.append(auditEntryInput({ targetId: `ws-${i}` }), auditEntryHash);
          }),
        ),
      );
      const chain = await store.auditLog.listChain(0, 100);
      assertChained(chain);
      // A transaction's two entries are adjacent: no other append came between them.
      for (let i = 0; i < chain.length; i += 2)
        assert.equal(chain[i]!.targetId, chain[i + 1]!.targetId);
    });

    it('an append in a transaction that rolls back leaves no entry and the head unchanged', async (t) => {
      const store = await h.open(t);
      const kept = await store.auditLog.append(auditEntryInput(), auditEntryHash);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.auditLog.append(auditEntryInput({ targetId: 'gone' }), auditEntryHash);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.deepEqual(await store.auditLog.head(), { seq: 1, hash: kept.hash });
      assert.deepEqual(await store.auditLog.listChain(0, 10), [kept]);
    });

    it('listChain pages oldest first after a sequence number', async (t) => {
      const store = await h.open(t);
      await appendAll(
        store,
        Array.from({ length: 5 }, (_, i) => auditEntryInput({ targetId: `s${i + 1}` })),
      );
      const page = await store.auditLog.listChain(2, 2);
      assert.deepEqual(
        page.map((entry) => [entry.seq, entry.targetId]),
        [
          [3, 's3'],
          [4, 's4'],
        ],
      );
    });

    it('list filters by workspace, actor id or email, action, target and time; newest first, before a cursor, limited', async (t) => {
      const store = await h.open(t);
      const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
      await appendAll(store, [
        auditEntryInput({
          time: at(1),
          workspaceId: 'acme',
          actorId: 'u1',
          actorEmail: 'A@acme.test',
        }),
        auditEntryInput({
          time: at(2),
          workspaceId: 'beta',
          actorId: 'u2',
          actorEmail: 'b@beta.test',
        }),
        auditEntryInput({
          time: at(3),
          workspaceId: 'acme',
          actorId: 'u2',
          actorEmail: 'b@beta.test',
          action: 'member.delete',
          targetType: 'member',
          targetId: 'u1',
        }),
        auditEntryInput({
          time: at(4),
          workspaceId: null,
          action: 'user.create',
          targetType: 'user',
        }),
      ]);
      const seqs = async (query: Parameters<Store['auditLog']['list']>[0]) =>
        (await store.auditLog.list(query)).map((entry) => entry.seq);
      assert.deepEqual(await seqs({}), [4, 3, 2, 1]);
      assert.deepEqual(await seqs({ workspaceId: 'acme' }), [3, 1]);
      assert.deepEqual(await seqs({ actor: 'u2' }), [3, 2]);
      assert.deepEqual(await seqs({ actor: 'a@ACME.test' }), [1]);
      assert.deepEqual(await seqs({ action: 'member.delete' }), [3]);
      assert.deepEqual(await seqs({ targetType: 'member', targetId: 'u1' }), [3]);
      assert.deepEqual(await seqs({ targetType: 'server', targetId: 'u1' }), []);
      assert.deepEqual(await seqs({ since: at(2), until: at(4) }), [3, 2]);
      assert.deepEqual(await seqs({ beforeSeq: 3 }), [2, 1]);
      assert.deepEqual(await seqs({ limit: 1 }), [4]);
      assert.deepEqual(await seqs({ workspaceId: 'acme', beforeSeq: 3, limit: 5 }), [1]);
    });
  });
}
