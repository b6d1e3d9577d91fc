import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { requestRecord } from '../store/contract/contract-support.ts';
import { createStore } from '../store/create-store.ts';
import { createRecordRetention } from './record-retention.ts';

const NOW = new Date('2026-03-31T12:00:00.000Z');
const daysAgo = (days: number, extraMs = 0) =>
  new Date(NOW.getTime() - days * 86_400_000 + extraMs);

function logs() {
  const lines: { level: string; fields: object; message: string }[] = [];
  return {
    lines,
    logger: {
      info: (fields: object, message: string) =>
        void lines.push({ level: 'info', fields, message }),
      error: (fields: object, message: string) =>
        void lines.push({ level: 'error', fields, message }),
    },
  };
}

describe('record retention', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-retention-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('removes records older than the retention period only, and says how many', async () => {
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'a.db') });
    await store.migrate();
    await store.requestRecords.insertMany([
      requestRecord({ id: 'old', time: daysAgo(45) }),
      requestRecord({ id: 'just-past', time: daysAgo(30, -1) }),
      requestRecord({ id: 'just-inside', time: daysAgo(30, 1) }),
      requestRecord({ id: 'fresh', time: daysAgo(1) }),
    ]);
    const { logger, lines } = logs();
    const retention = createRecordRetention({ store, retentionDays: 30, logger, now: () => NOW });
    assert.equal(await retention.runOnce(), 2);
    assert.deepEqual(
      (await store.requestRecords.list({})).map((r) => r.id),
      ['fresh', 'just-inside'],
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.message, /retention/);
    assert.equal(await retention.runOnce(), 0);
    assert.equal(lines.length, 1);
    await retention.stop();
    await store.close();
  });

  it('keeps everything when retention is 0', async () => {
    let calls = 0;
    const { logger } = logs();
    const retention = createRecordRetention({
      store: { requestRecords: { removeOlderThan: async () => (calls++, 5) } },
      retentionDays: 0,
      logger,
      firstRunDelayMs: 0,
    });
    retention.start();
    assert.equal(await retention.runOnce(), 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(calls, 0);
    await retention.stop();
  });

  it('runs periodically once started, logs a failing run and keeps going; stop ends it', async () => {
    const cutoffs: Date[] = [];
    const { logger, lines } = logs();
    const retention = createRecordRetention({
      store: {
        requestRecords: {
          async removeOlderThan(cutoff) {
            cutoffs.push(cutoff);
            if (cutoffs.length === 1) throw new Error('database unavailable');
            return 0;
          },
        },
      },
      retentionDays: 7,
      intervalMs: 10,
      firstRunDelayMs: 0,
      logger,
      now: () => NOW,
    });
    retention.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await retention.stop();
    const runs = cutoffs.length;
    assert.ok(runs >= 3, `ran ${runs} times`);
    assert.deepEqual(cutoffs[0], daysAgo(7));
    assert.equal(lines.filter((l) => l.level === 'error').length, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(cutoffs.length, runs);
  });
});
