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
