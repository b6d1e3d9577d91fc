import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from './runtime-config.ts';
import { loadOrCreateSecretKey } from './secret-key.ts';

describe('secret key', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-secret-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  const freshDir = () => path.join(root, `data-${++counter}`);

  it('returns the configured key without touching the data dir or warning', async () => {
    const warnings: string[] = [];
    const dataDir = freshDir();
    const key = await loadOrCreateSecretKey({ secretKey: 'k'.repeat(44), dataDir }, (m) =>
      warnings.push(m),
    );
    assert.equal(key, 'k'.repeat(44));
    assert.deepEqual(warnings, []);
    assert.throws(() => statSync(dataDir));
  });

  it('generates 32 random bytes into <dataDir>/secret.key with mode 0600 and warns', async () => {
    const warnings: string[] = [];
    const dataDir = freshDir();
    const key = await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, (m) =>
      warnings.push(m),
    );
    assert.equal(Buffer.from(key, 'base64').length, 32);
    const file = path.join(dataDir, 'secret.key');
    assert.equal(readFileSync(file, 'utf8').trim(), key);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /PORTCULLIS_SECRET_KEY is not set: using the newly generated key in .*secret\.key/,
    );
  });

  it('reuses the generated key on the next start and warns again', async () => {
    const dataDir = freshDir();
    const first = await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, () => undefined);
    const warnings: string[] = [];
    const second = await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, (m) =>
      warnings.push(m),
    );
    assert.equal(second, first);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /using the generated key/);
  });

  it('two instances starting at once end up with the same key', async () => {
    const dataDir = freshDir();
    const keys = await Promise.all(
      [1, 2, 3].map(() =>
        loadOrCreateSecretKey({ secretKey: undefined, dataDir }, () => undefined),
      ),
    );
    assert.equal(new Set(keys).size, 1);
  });

  it('warns when the key file is readable by others', async () => {
    const dataDir = freshDir();
    await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, () => undefined);
    chmodSync(path.join(dataDir, 'secret.key'), 0o644);
    const warnings: string[] = [];
    await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, (m) => warnings.push(m));
    assert.match(warnings[1] ?? '', /readable by other users \(mode 644\)/);
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    const dataDir = freshDir();
    await loadOrCreateSecretKey({ secretKey: undefined, dataDir }, () => undefined);
    writeFileSync(path.join(dataDir, 'secret.key'), 'short\n');
    await assert.rejects(
      loadOrCreateSecretKey({ secretKey: undefined, dataDir }, () => undefined),
      ConfigError,
    );
  });
});
