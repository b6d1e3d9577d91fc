import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatShare, healthLook, statusLook } from './server-health.ts';
import type { ServerHealth } from './server-health.ts';

const health = (requests: number, upstreamFailures: number): ServerHealth => ({
  server: 's',
  requests,
  errors: upstreamFailures + 1,
  upstreamFailures,
  uptimeRatio: requests === 0 ? null : 1 - upstreamFailures / requests,
  lastRequestAt: null,
  recentFailures: [],
});
const process_ = {
  pid: 42,
  restarts: 3,
  last_error: 'exit code 1',
  backoff_ms: 4000,
  memory_rss_bytes: null,
};

describe('health badge', () => {
  it('says no traffic when nothing was asked, whatever else is known', () => {
    assert.equal(healthLook(undefined).label, 'No traffic');
    assert.equal(healthLook(health(0, 0)).tone, 'neutral');
  });
  it('grades the share of requests that reached the upstream', () => {
    assert.deepEqual(
      [health(1000, 0), health(1000, 20), health(1000, 200)].map((h) => healthLook(h).tone),
      ['ok', 'warn', 'error'],
    );
    assert.match(healthLook(health(1000, 20)).detail, /98\.0% of 1000 requests/);
  });
  it('writes whole and partial percentages', () => {
    assert.equal(formatShare(1), '100%');
    assert.equal(formatShare(0), '0%');
    assert.equal(formatShare(0.9876), '98.8%');
  });
});

describe('process badge', () => {
  it('is absent for http and sse servers', () => {
    assert.equal(statusLook({ transport: 'http', process: null }), undefined);
    assert.equal(statusLook(undefined), undefined);
  });
  it('tells running, crashing and idle processes apart', () => {
    const look = (state: 'running' | 'backing_off' | 'stopped') =>
      statusLook({ transport: 'stdio', process: { ...process_, state } });
    assert.equal(look('running')?.tone, 'ok');
    assert.equal(look('backing_off')?.label, 'Crashing');
    assert.match(look('backing_off')?.detail ?? '', /3 times.*4 s.*exit code 1/);
    assert.equal(look('stopped')?.label, 'Idle');
    assert.equal(statusLook({ transport: 'stdio', process: null })?.label, 'Not started');
  });
  it('counts members’ processes and flags any crashing one', () => {
    const member = (state: 'running' | 'backing_off') => ({
      ...process_,
      state,
      user_id: 'u',
      email: null,
    });
    const look = statusLook({
      transport: 'stdio',
      process: null,
      member_processes: [member('running'), member('backing_off')],
    });
    assert.equal(look?.label, '1 running');
    assert.equal(look?.tone, 'error');
  });
});
