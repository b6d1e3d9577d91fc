import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore } from '../store/create-store.ts';
import { createRecordSpool } from './record-spool.ts';
import { parseSegment } from './record-spool-replay.ts';
import { createRecordWriter } from './record-writer.ts';
import type { RecordWriterLogger, RecordWriterOptions } from './record-writer.ts';
import type { RequestRecord } from './request-record.ts';

function requestRecord(): RequestRecord {
  return {
    id: randomUUID(),
    time: new Date(),
    workspaceId: 'acme',
    serverId: 'everything',
    principalKind: 'api_key',
    principalId: 'u',
    apiKeyId: 'k',
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-06-18',
    sessionTag: null,
    latencyMs: 1.5,
    upstreamLatencyMs: 1,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 10,
    bytesOut: 20,
    clientId: null,
    clientName: null,
    clientVersion: null,
    arguments: null,
    result: null,
    traceId: null,
  };
}

/** A fake store recording every insertMany call; `gate` holds inserts until opened. */
function fakeStore(behaviour: { failures?: number; gate?: Promise<void> } = {}) {
  const calls: number[] = [];
  let failuresLeft = behaviour.failures ?? 0;
  const rows: RequestRecord[] = [];
  const store: RecordWriterOptions['store'] = {
    requestRecords: {
      async insertMany(records) {
        calls.push(records.length);
        await behaviour.gate;
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('database unavailable');
        }
        rows.push(...records);
      },
    },
  };
  return { store, calls, rows };
}

function recordingLogger() {
  const warnings: { fields: object; message: string }[] = [];
  const errors: { fields: object; message: string }[] = [];
  const logger: RecordWriterLogger = {
    warn: (fields, message) => warnings.push({ fields, message }),
    error: (fields, message) => errors.push({ fields, message }),
  };
  return { logger, warnings, errors };
}

describe('record writer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-records-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('N records in gives exactly N rows in the store, in batches', async () => {
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'records.db') });
    await store.migrate();
    const writer = createRecordWriter({ store, queueSize: 10_000, batchSize: 100 });
    for (let i = 0; i < 2_345; i++) writer.write(requestRecord());
    await writer.close();
    assert.equal(await store.requestRecords.count({}), 2_345);
    assert.deepEqual(writer.stats(), { queued: 0, written: 2_345, dropped: 0, failed: 0 });
    await store.close();
  });

  it('write returns before anything is inserted', async () => {
    const { store, calls } = fakeStore();
    const writer = createRecordWriter({ store, queueSize: 100, batchSize: 2 });
    writer.write(requestRecord());
    writer.write(requestRecord());
    writer.write(requestRecord());
    assert.deepEqual(calls, []);
    assert.equal(writer.stats().queued, 3);
    await writer.close();
    assert.deepEqual(calls, [2, 1]);
  });

  it('never blocks the caller while the store hangs: writes return at once, timers keep firing', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { store, rows } = fakeStore({ gate });
    const writer = createRecordWriter({ store, queueSize: 100_000, batchSize: 100 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const started = performance.now();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1_000; i++) writer.write(requestRecord());
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    // The store has not answered once, yet 20,000 writes went by and the loop kept turning.
    assert.equal(rows.length, 0);
    assert.ok(ticks >= 10, `event loop ticks while stalled: ${ticks}`);
    assert.ok(elapsed < 5_000, `writes took ${elapsed} ms`);
    assert.equal(writer.stats().queued, 20_000);
    open();
    await writer.close();
    assert.equal(rows.length, 20_000);
  });

  it('a full queue drops records, counts them and warns once per interval', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { store, rows } = fakeStore({ gate });
    const { logger, warnings } = recordingLogger();
    const writer = createRecordWriter({ store, queueSize: 10, batchSize: 4, logger });
    for (let i = 0; i < 25; i++) writer.write(requestRecord());
    assert.deepEqual(writer.stats(), { queued: 10, written: 0, dropped: 15, failed: 0 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /queue is full/);
    open();
    await writer.close();
    assert.equal(rows.length, 10);
    assert.deepEqual(writer.stats(), { queued: 0, written: 10, dropped: 15, failed: 0 });
  });

  it('close flushes records still waiting for a batch or the timer', async () => {
    const { store, rows } = fakeStore();
    const writer = createRecordWriter({
      store,
      queueSize: 100,
      batchSize: 50,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 7; i++) writer.write(requestRecord());
    await writer.close();
    assert.equal(rows.length, 7);
  });

  it('the timer writes a partial batch without an explicit flush', async () => {
    const { store, rows } = fakeStore();
    const writer = createRecordWriter({
      store,
      queueSize: 100,
      batchSize: 50,
      flushIntervalMs: 10,
    });
    writer.write(requestRecord());
    for (let i = 0; i < 100 && rows.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(rows.length, 1);
    await writer.close();
  });

  it('a failed batch is retried once and then succeeds', async () => {
    const { store, calls, rows } = fakeStore({ failures: 1 });
    const writer = createRecordWriter({ store, queueSize: 100, retryDelayMs: 1 });
    for (let i = 0; i < 3; i++) writer.write(requestRecord());
    await writer.close();
    assert.deepEqual(calls, [3, 3]);
    assert.equal(rows.length, 3);
    assert.deepEqual(writer.stats(), { queued: 0, written: 3, dropped: 0, failed: 0 });
  });

  it('a batch failing twice is counted failed and logged, and later batches still go', async () => {
    const { store, calls, rows } = fakeStore({ failures: 2 });
    const { logger, errors } = recordingLogger();
    const writer = createRecordWriter({
      store,
      queueSize: 100,
      batchSize: 2,
      retryDelayMs: 1,
      logger,
    });
    for (let i = 0; i < 3; i++) writer.write(requestRecord());
    await writer.close();
    assert.deepEqual(calls, [2, 2, 1]);
    assert.equal(rows.length, 1);
    assert.deepEqual(writer.stats(), { queued: 0, written: 1, dropped: 0, failed: 2 });
    assert.equal(errors.length, 1);
  });

  it('keeps a batch while the store is unreachable and writes it once it answers', async () => {
    let down = true;
    const { store, calls, rows } = fakeStore({ failures: 5 });
    const { logger, warnings, errors } = recordingLogger();
    const writer = createRecordWriter({
      store: { ...store, ping: async () => assert.ok(!down, 'database unavailable') },
      queueSize: 100,
      retryDelayMs: 1,
      maxRetryDelayMs: 4,
      logger,
    });
    for (let i = 0; i < 3; i++) writer.write(requestRecord());
    const flushed = writer.flush();
    for (let i = 0; i < 200 && calls.length < 5; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(calls.length >= 5, 'retried more than once while down');
    assert.equal(writer.stats().failed, 0);
    down = false;
    await flushed;
    assert.equal(rows.length, 3);
    assert.deepEqual(writer.stats(), { queued: 0, written: 3, dropped: 0, failed: 0 });
    assert.deepEqual(errors, []);
    assert.match(warnings[0]!.message, /cannot be reached/);
    await writer.close();
  });

  it('gives a batch up after one retry when the writer closes during an outage', async () => {
    const { store, rows } = fakeStore({ failures: 1_000 });
    const writer = createRecordWriter({
      store: { ...store, ping: () => Promise.reject(new Error('down')) },
      queueSize: 100,
      retryDelayMs: 1,
      maxRetryDelayMs: 2,
    });
    writer.write(requestRecord());
    await new Promise((r) => setTimeout(r, 20));
    await writer.close();
    assert.equal(rows.length, 0);
    assert.deepEqual(writer.stats(), { queued: 0, written: 0, dropped: 0, failed: 1 });
  });

  it('write after close is dropped and counted, never thrown', async () => {
    const { store, rows } = fakeStore();
    const { logger, warnings } = recordingLogger();
    const writer = createRecordWriter({ store, queueSize: 100, logger });
    await writer.close();
    assert.doesNotThrow(() => writer.write(requestRecord()));
    assert.equal(writer.stats().dropped, 1);
    assert.equal(rows.length, 0);
    assert.match(warnings[0]!.message, /closed/);
  });

  it('with a spool, an accepted record is on disk when write returns and leaves it once stored', async () => {
    const spoolDir = mkdtempSync(path.join(dir, 'spool-'));
    const spool = createRecordSpool({ dir: spoolDir });
    let open!: () => void;
    const { store, rows } = fakeStore({ gate: new Promise<void>((resolve) => (open = resolve)) });
    const writer = createRecordWriter({ store, queueSize: 2, batchSize: 10, spool });
    const accepted = [requestRecord(), requestRecord()];
    for (const record of accepted) writer.write(record);
    writer.write(requestRecord());
    assert.equal(writer.stats().dropped, 1);
    const [segment] = readdirSync(spoolDir);
    const onDisk = parseSegment(readFileSync(path.join(spoolDir, segment!), 'utf8')).pending;
    assert.deepEqual(onDisk, accepted, 'the dropped record is not spooled');
    const flushed = writer.flush();
    open();
    await flushed;
    assert.equal(rows.length, 2);
    assert.deepEqual(readdirSync(spoolDir), []);
    await writer.close();
    spool.close();
  });

  it('flush waits for records written while a batch is in flight', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { store, rows } = fakeStore({ gate });
    const writer = createRecordWriter({ store, queueSize: 100, batchSize: 2 });
    writer.write(requestRecord());
    writer.write(requestRecord());
    await new Promise((resolve) => setImmediate(resolve));
    writer.write(requestRecord());
    const flushed = writer.flush();
    open();
    await flushed;
    assert.equal(rows.length, 3);
    await writer.close();
  });
});
