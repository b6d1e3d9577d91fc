/**
 * `portcullis rotate-key` beyond re-sealing (run-cli.test.ts covers that):
 * pending upstream authorizations are deleted and said so, and the rotation
 * is one audit entry with counts per kind, never values.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sealServerEnv } from '../auth/upstream-credentials/server-env.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliIo } from './cli-command.ts';
import { openMigratedStore } from './open-migrated-store.ts';
import { rotateKeyCommand } from './rotate-key-command.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rotate-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const OLD_KEY = 'old-key-for-rotation-0123456789abcdefghij';
const NEW_KEY = 'new-key-for-rotation-0123456789abcdefghij';
const PLAINTEXT = 'env-value-that-must-not-leak';

/** A data dir whose store holds one sealed env value and two pending upstream authorizations. */
async function seeded(): Promise<Record<string, string>> {
  const env = { PORTCULLIS_DATA_DIR: path.join(root, `data-${++counter}`) };
  const { store } = await openMigratedStore(parseRuntimeConfig(env));
  try {
    const old = createVault({ secretKey: OLD_KEY });
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    const user = await store.users.upsert({ email: 'ada@acme.test' });
    await store.servers.upsert({
      workspaceId: 'acme',
      id: 'memory',
      name: 'memory',
      transport: 'stdio',
      command: 'node',
      env: sealServerEnv(old, { TOKEN: PLAINTEXT }),
      timeoutMs: 1000,
    });
    for (const state of ['state-one', 'state-two'])
      await store.upstreamAuthorizations.create({
        stateHash: state,
        workspaceId: 'acme',
        serverId: 'memory',
        ownerId: user.id,
        userId: user.id,
        pending: old.seal('upstream-authorization', 'pkce-verifier'),
        returnUrl: null,
        expiresAt: new Date(Date.now() + 600_000),
      });
  } finally {
    await store.close();
  }
  return env;
}

async function rotate(env: Record<string, string>, keys: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { ...env, ...keys },
    stopSignal: () => new Promise(() => undefined),
  };
  const code = await rotateKeyCommand.run([], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function inspect(env: Record<string, string>) {
  const { store } = await openMigratedStore(parseRuntimeConfig(env));
  try {
    const entries = await store.auditLog.list({ limit: 10 });
    const pending = await Promise.all(
      ['state-one', 'state-two'].map((state) =>
        store.upstreamAuthorizations.consume(state, new Date()),
      ),
    );
    return { entries, pending: pending.filter((found) => found !== undefined).length };
  } finally {
    await store.close();
  }
}

describe('portcullis rotate-key', () => {
  it('deletes pending upstream authorizations and says so', async () => {
    const env = await seeded();
    const { code, out, err } = await rotate(env, {
      PORTCULLIS_SECRET_KEY: NEW_KEY,
      PORTCULLIS_PREVIOUS_SECRET_KEYS: OLD_KEY,
    });
    assert.equal(code, 0, err);
    assert.match(out, /pending upstream OAuth authorizations: 2 deleted \(not re-sealed/);
    assert.equal((await inspect(env)).pending, 0);
  });

  it('records one vault.rotate entry with counts per kind and no value', async () => {
    const env = await seeded();
    const keys = { PORTCULLIS_SECRET_KEY: NEW_KEY, PORTCULLIS_PREVIOUS_SECRET_KEYS: OLD_KEY };
    assert.equal((await rotate(env, keys)).code, 0);
    const { entries } = await inspect(env);
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.equal(entry?.action, 'vault.rotate');
    assert.equal(entry?.actorKind, 'system');
    assert.equal(entry?.source, 'cli');
    assert.equal(entry?.targetType, 'vault');
    assert.equal(entry?.targetId, createVault({ secretKey: NEW_KEY }).keyId);
    const after = entry?.after as {
      kinds: { kind: string; rotated: number; fromPlaintext: number; alreadyCurrent: number }[];
      pendingConnectsDeleted: number;
    };
    assert.deepEqual(
      after.kinds.find((tally) => tally.kind === 'server environment values'),
      { kind: 'server environment values', rotated: 1, fromPlaintext: 0, alreadyCurrent: 0 },
    );
    assert.ok(after.kinds.some((tally) => tally.kind === 'upstream OAuth tokens'));
    assert.equal(after.pendingConnectsDeleted, 2);
    const dump = JSON.stringify(entries);
    for (const secret of [PLAINTEXT, OLD_KEY, NEW_KEY, 'pkce-verifier'])
      assert.ok(!dump.includes(secret), secret);
  });

  it('a refused rotation records nothing and deletes nothing', async () => {
    const env = await seeded();
    const { code, err } = await rotate(env, { PORTCULLIS_SECRET_KEY: NEW_KEY });
    assert.equal(code, 1);
    assert.match(err, /nothing changed/);
    const { entries, pending } = await inspect(env);
    assert.deepEqual(entries, []);
    assert.equal(pending, 2);
  });
});
