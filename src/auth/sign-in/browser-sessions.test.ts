import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRuntimeConfig } from '../../config/runtime-config.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { createBrowserSessions, hashToken } from './browser-sessions.ts';

const HOUR = 3600_000;

describe('browser sessions', () => {
  let dir: string;
  let store: Store;
  let userId: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sessions-'));
    store = await createStore({ kind: 'sqlite', file: path.join(dir, 'db.sqlite') });
    await store.migrate();
    userId = (await store.users.upsert({ email: 'ada@acme.test' })).id;
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function sessionsAt(
    clock: { now: number },
    publicUrl = 'http://127.0.0.1:8080',
    ttlSeconds = 14 * 24 * 3600,
  ) {
    const config = parseRuntimeConfig({
      PORTCULLIS_PUBLIC_URL: publicUrl,
      PORTCULLIS_BROWSER_SESSION_TTL_S: String(ttlSeconds),
    });
    return createBrowserSessions({ config, store, now: () => new Date(clock.now) });
  }

  it('finds nothing for an unknown or malformed token', async () => {
    const sessions = sessionsAt({ now: Date.now() });
    assert.equal(await sessions.resolve('not-a-session'), undefined);
    assert.equal(await sessions.resolve(''), undefined);
  });

  it('uses the __Host- cookie with Secure on https and the plain name on http', async () => {
    const secure = sessionsAt({ now: Date.now() }, 'https://gw.example');
    const { cookie } = await secure.create(userId);
    assert.match(
      cookie,
      /^__Host-portcullis_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
    );
    const plain = sessionsAt({ now: Date.now() });
    assert.equal(plain.cookieName, 'portcullis_session');
    assert.doesNotMatch((await plain.create(userId)).cookie, /Secure/);
    assert.equal(
      plain.clearCookie(),
      'portcullis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    );
  });

  it('stores only the SHA-256 of the token', async () => {
    const { token, session } = await sessionsAt({ now: Date.now() }).create(userId);
    assert.equal(session.idHash, hashToken(token));
    assert.equal(await store.browserSessions.find(token), undefined);
    assert.notEqual(session.csrfToken, token);
  });

  it('slides the expiry, writing at most once a minute, never past the absolute lifetime', async () => {
    // The store stamps createdAt/lastSeenAt itself, so the clock starts at the real now.
    const start = Date.now();
    const clock = { now: start };
    const sessions = sessionsAt(clock, 'http://127.0.0.1:8080', 10 * 24 * 3600);
    const { token, session } = await sessions.create(userId);
    const near = (actual: number | undefined, expected: number) =>
      assert.ok(
        actual !== undefined && Math.abs(actual - expected) < 2000,
        `${actual} ≈ ${expected}`,
      );
    near(session.expiresAt.getTime(), start + 7 * 24 * HOUR);
    clock.now += 30_000;
    const early = await sessions.resolve(token);
    assert.equal(early?.lastSeenAt.getTime(), session.lastSeenAt.getTime());
    clock.now += 6 * 24 * HOUR;
    const touched = await sessions.resolve(token);
    assert.equal(touched?.lastSeenAt.getTime(), clock.now);
    near(touched?.expiresAt.getTime(), start + 10 * 24 * HOUR);
    assert.equal(
      (await store.browserSessions.find(hashToken(token)))?.lastSeenAt.getTime(),
      clock.now,
    );
    clock.now = start + 10 * 24 * HOUR + 2000;
    assert.equal(await sessions.resolve(token), undefined);
    assert.equal(await store.browserSessions.find(hashToken(token)), undefined);
  });

  it('expires a session idle for longer than the idle timeout', async () => {
    const clock = { now: Date.now() };
    const sessions = sessionsAt(clock);
    const { token } = await sessions.create(userId);
    clock.now += 7 * 24 * HOUR + 2000;
    assert.equal(await sessions.resolve(token), undefined);
  });

  it('forgets a removed session', async () => {
    const sessions = sessionsAt({ now: Date.now() });
    const { token } = await sessions.create(userId);
    await sessions.remove(token);
    assert.equal(await sessions.resolve(token), undefined);
  });
});
