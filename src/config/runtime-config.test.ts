import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseRuntimeConfig } from './runtime-config.ts';

describe('runtime config: stdio servers', () => {
  it('stops idle stdio processes after 10 minutes and runs at most 64 by default', () => {
    const config = parseRuntimeConfig({});
    assert.equal(config.stdioIdleTtlSeconds, 600);
    assert.equal(config.stdioMaxProcesses, 64);
  });

  it('reads PORTCULLIS_STDIO_IDLE_TTL_S and PORTCULLIS_STDIO_MAX_PROCESSES', () => {
    const config = parseRuntimeConfig({
      PORTCULLIS_STDIO_IDLE_TTL_S: '30',
      PORTCULLIS_STDIO_MAX_PROCESSES: '4',
    });
    assert.equal(config.stdioIdleTtlSeconds, 30);
    assert.equal(config.stdioMaxProcesses, 4);
  });

  it('refuses a cap or a TTL below one', () => {
    assert.throws(
      () => parseRuntimeConfig({ PORTCULLIS_STDIO_MAX_PROCESSES: '0' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.some((issue) => issue.startsWith('PORTCULLIS_STDIO_MAX_PROCESSES:')),
    );
    assert.throws(() => parseRuntimeConfig({ PORTCULLIS_STDIO_IDLE_TTL_S: '0' }), ConfigError);
  });
});

describe('runtime config: shared state', () => {
  it('keeps state in memory without PORTCULLIS_REDIS_URL', () => {
    assert.equal(parseRuntimeConfig({}).redisUrl, undefined);
  });

  it('reads a redis:// or rediss:// URL', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://user:secret@redis.internal:6380/2'])
      assert.equal(parseRuntimeConfig({ PORTCULLIS_REDIS_URL: url }).redisUrl, url);
  });

  it('refuses another scheme or a URL without a host, naming the setting', () => {
    for (const url of ['http://127.0.0.1:6379', 'localhost:6379', 'redis:nohost', 'redis://'])
      assert.throws(
        () => parseRuntimeConfig({ PORTCULLIS_REDIS_URL: url }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.issues.some(
            (issue) =>
              issue.startsWith('PORTCULLIS_REDIS_URL:') && issue.includes('redis:// or rediss://'),
          ),
        url,
      );
  });
});
