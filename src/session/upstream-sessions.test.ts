import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUpstreamSessionPool } from './upstream-sessions.ts';
import type { UpstreamSession } from './upstream-sessions.ts';

const session = (id: string): UpstreamSession => ({
  sessionId: id,
  protocolVersion: '2025-11-25',
  result: {},
});

describe('upstream session pool', () => {
  it('opens a session once for concurrent acquires and reuses it', async () => {
    const pool = createUpstreamSessionPool({ idleMs: 60_000, maxEntries: 10 });
    let opened = 0;
    const create = async () => session(`s${++opened}`);
    const [a, b] = await Promise.all([pool.acquire('k', create), pool.acquire('k', create)]);
    assert.equal(opened, 1);
    assert.equal(a.session, b.session);
    assert.equal((await pool.acquire('k', create)).reused, true);
  });

  it('lets idle sessions go with onExpire, but never one in use or held by a stream', async () => {
    const expired: string[] = [];
    const pool = createUpstreamSessionPool({
      idleMs: 1_000,
      maxEntries: 10,
      onExpire: (_key, s) => expired.push(s.sessionId!),
    });
    await pool.acquire('idle', async () => session('idle'));
    await pool.acquire('used', async () => session('used'));
    await pool.acquire('held', async () => session('held'));
    pool.hold('held');
    const later = Date.now() + 5_000;
    pool.sweep(later - 500);
    assert.deepEqual(expired, ['idle', 'used']);

    expired.length = 0;
    await pool.acquire('used', async () => session('used-2'));
    pool.touch('used-2');
    pool.sweep(Date.now() + 500);
    assert.deepEqual(expired, [], 'touched recently');
    pool.release('held');
    pool.sweep(Date.now() + 5_000);
    assert.deepEqual(expired.sort(), ['held', 'used-2']);
  });

  it('keeps replacements within their scope', () => {
    const pool = createUpstreamSessionPool({ idleMs: 1_000, maxEntries: 10 });
    pool.replace('acme/github|key:1', '7', '8');
    assert.equal(pool.resolve('acme/github|key:1', '7'), '8');
    assert.equal(pool.resolve('acme/github|key:2', '7'), '7');
    assert.equal(pool.resolve('acme/linear|key:1', '7'), '7');
  });
});
