import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createStore } from './create-store.ts';
import { storeContract } from './store.contract.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

async function freshStore() {
  const store = await createStore({
    kind: 'sqlite',
    file: path.join(dir, `store-${++counter}.db`),
  });
  await store.migrate();
  return store;
}

storeContract('SQLite', freshStore);

it('SQLite store creates its directory and uses WAL mode', async () => {
  const file = path.join(dir, 'nested', 'data', 'portcullis.db');
  const store = await createStore({ kind: 'sqlite', file });
  await store.migrate();
  await store.close();
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  } finally {
    db.close();
  }
  assert.equal(store.dialect, 'sqlite');
});

it('SQLite store keeps its data across reopening', async () => {
  const file = path.join(dir, 'reopen.db');
  const first = await createStore({ kind: 'sqlite', file });
  await first.migrate();
  await first.workspaces.upsert({ id: 'acme', name: 'Acme' });
  await first.close();
  const second = await createStore({ kind: 'sqlite', file });
  assert.deepEqual(await second.migrate(), []);
  assert.equal((await second.workspaces.find('acme'))?.name, 'Acme');
  await second.close();
});
