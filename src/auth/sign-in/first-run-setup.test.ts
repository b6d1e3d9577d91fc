import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { createFirstRunSetup } from './first-run-setup.ts';

describe('first-run setup token', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-setup-'));
    store = await createStore({ kind: 'sqlite', file: path.join(dir, 'db.sqlite') });
    await store.migrate();
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses wrong, empty and near-miss tokens without using the real one up', async () => {
    const setup = await createFirstRunSetup(store);
    const token = new URL(setup.link('https://gw.example') ?? '').searchParams.get('token') ?? '';
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    for (const candidate of ['', 'wrong', `${token}x`, token.slice(1)]) {
      assert.equal(setup.matches(candidate), false);
      assert.equal(setup.consume(candidate), false);
    }
    assert.equal(setup.isOpen(), true);
  });

  it('lets the token be consumed exactly once, then closes', async () => {
    const setup = await createFirstRunSetup(store);
    const token = new URL(setup.link('https://gw.example') ?? '').searchParams.get('token') ?? '';
    assert.equal(setup.link('https://gw.example'), `https://gw.example/setup?token=${token}`);
    assert.equal(setup.consume(token), true);
    assert.equal(setup.consume(token), false);
    assert.equal(setup.matches(token), false);
    assert.equal(setup.isOpen(), false);
    assert.equal(setup.link('https://gw.example'), undefined);
  });

  it('makes a different token each start', async () => {
    const a = (await createFirstRunSetup(store)).link('x');
    const b = (await createFirstRunSetup(store)).link('x');
    assert.notEqual(a, b);
  });

  it('is closed from the start once any user exists', async () => {
    await store.users.upsert({ email: 'someone@acme.test' });
    const setup = await createFirstRunSetup(store);
    assert.equal(setup.isOpen(), false);
    assert.equal(setup.link('https://gw.example'), undefined);
    assert.equal(setup.consume(''), false);
  });
});
