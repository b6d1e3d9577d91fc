/**
 * `portcullis migrate` and `serve` as an operator meets them on upgrade: the
 * real binary on a real SQLite file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATION_NAMES } from '../../src/store/migrations/migration-provider.ts';

const execFileAsync = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/portcullis.js');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-upgrade-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const env = {
  ...process.env,
  PORTCULLIS_DATA_DIR: dataDir,
  PORTCULLIS_LOG_LEVEL: 'silent',
  PORTCULLIS_SECRET_KEY: 'upgrade-cli-test-key-0123456789abcdef',
  PORTCULLIS_PORT: '0',
};

function portcullis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [BIN, ...args], { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

it('migrate applies every migration once, then reports the schema up to date', async () => {
  const first = await portcullis('migrate');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`applied ${MIGRATION_NAMES.length} migrations`));
  const second = await portcullis('migrate');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /schema is up to date/);
});

it('migrate and serve refuse a database a newer version migrated, naming the migration', async () => {
  const database = new BetterSqlite3(path.join(dataDir, 'portcullis.db'));
  database
    .prepare('insert into portcullis_migration (name, timestamp) values (?, ?)')
    .run('9000-from-a-newer-version', new Date().toISOString());
  database.close();
  for (const command of ['migrate', 'serve']) {
    const { code, stderr } = await portcullis(command);
    assert.equal(code, 1, `${command} exits 1`);
    assert.match(stderr, /migration 9000-from-a-newer-version is unknown to this version/);
    assert.match(stderr, /This gateway is older than the database/);
    assert.doesNotMatch(stderr, /corrupted/);
  }
});
