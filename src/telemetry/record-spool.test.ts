import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
import { createRecordSpool, encodeRecord } from './record-spool.ts';
import { insertMissingRecords, parseSegment, replayRecordSpool } from './record-spool-replay.ts';
import type { RequestRecord } from './request-record.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'record-spool-'));
after(() => rmSync(root, { recursive: true, force: true }));
const freshDir = () => mkdtempSync(path.join(root, 'spool-'));

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: randomUUID(),
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, Math.floor(Math.random() * 1000))),
    workspaceId: 'acme',
    serverId: 'everything',
    principalKind: 'api_key',
    principalId: 'u',
    apiKeyId: 'k',
    clientId: null,
    clientName: 'claude "desktop"\n',
    clientVersion: '1.0',
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-11-25',
    sessionTag: null,
    latencyMs: 1.5,
    upstreamLatencyMs: 0.25,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 10,
    bytesOut: 20,
    arguments: '{"text":"ü ✓"}',
    result: null,
    traceId: null,
    ...overrides,
  };
}

async function openStore(t: { after(fn: () => Promise<void>): void }): Promise<Store> {
  const store = await createStore({ kind: 'sqlite', file: path.join(freshDir(), 'db.sqlite') });
  t.after(() => store.close());
  await store.migrate();
  return store;
}

const replay = (dir: string, store: Store) =>
  replayRecordSpool({ dir, insertMissing: insertMissingRecords(store), isAlive: () => false });

describe('record spool', () => {
  it('deletes a segment once every record in it is committed', () => {
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    spool.append(record());
    spool.append(record());
    assert.equal(readdirSync(dir).length, 1);
    spool.commit(1);
    assert.equal(readdirSync(dir).length, 1);
    spool.commit(1);
    assert.deepEqual(readdirSync(dir), []);
    spool.append(record());
    assert.equal(readdirSync(dir).length, 1, 'a new segment starts on the next append');
    spool.commit(1);
    spool.close();
    assert.deepEqual(readdirSync(dir), []);
  });

  it('rotates full segments and deletes each as soon as its records are committed', () => {
    const dir = freshDir();
    const spool = createRecordSpool({ dir, segmentBytes: 1 });
    for (let i = 0; i < 3; i++) spool.append(record());
    assert.equal(readdirSync(dir).length, 3);
    spool.commit(2);
    assert.equal(readdirSync(dir).length, 1);
    spool.close();
    assert.equal(readdirSync(dir).length, 1, 'close keeps the segment with an unstored record');
  });

  it('marks the committed part of a segment so a replay skips it', () => {
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    const records = [record(), record(), record()];
    for (const r of records) spool.append(r);
    spool.commit(2);
    spool.close();
    const [name] = readdirSync(dir);
    const parsed = parseSegment(readFileSync(path.join(dir, name!), 'utf8'));
    assert.deepEqual(parsed, { pending: [records[2]], skipped: 0 });
  });

  it('a record survives the line codec field for field', () => {
    const original = record({ result: '{"a":[1,2]}', errorCode: -32001, traceId: 'ab'.repeat(16) });
    assert.deepEqual(parseSegment(encodeRecord(original)).pending, [original]);
  });

  it("reads a newer version's lines (appended fields ignored) and skips lines shorter than the first format", () => {
    const original = record({ traceId: 'ab'.repeat(16) });
    const fields = JSON.parse(encodeRecord(original)) as unknown[];
    const newer = JSON.stringify([...fields, 'a field added later']);
    assert.deepEqual(parseSegment(newer).pending, [original]);
    // The spool's first format ended with traceId; lines without it can only be cut or foreign.
    const older = JSON.stringify(fields.slice(0, -1));
    assert.deepEqual(parseSegment(older), { pending: [], skipped: 1 });
  });
});

describe('record spool replay', () => {
  it('inserts the records not marked committed and deletes the segment', async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    const records = Array.from({ length: 5 }, () => record());
    for (const r of records) spool.append(r);
    await store.requestRecords.insertMany(records.slice(0, 2));
    spool.commit(2);
    spool.close();
    const result = await replay(dir, store);
    assert.deepEqual(result, { segments: 1, replayed: 3, skipped: 0, kept: 0 });
    assert.equal(await store.requestRecords.count({}), 5);
    for (const r of records) assert.deepEqual(await store.requestRecords.find(r.id), r);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('does not duplicate records stored by a batch whose commit mark was never written', async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    const records = Array.from({ length: 4 }, () => record());
    for (const r of records) spool.append(r);
    await store.requestRecords.insertMany(records.slice(0, 3));
    spool.close();
    assert.equal((await replay(dir, store)).replayed, 4);
    assert.equal(await store.requestRecords.count({}), 4);
  });

  it('skips a line cut short by the kill and stores every whole one', async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    const whole = [record(), record()];
    for (const r of whole) spool.append(r);
    spool.close();
    const [name] = readdirSync(dir);
    appendFileSync(path.join(dir, name!), encodeRecord(record()).slice(0, 40));
    const result = await replay(dir, store);
    assert.deepEqual(result, { segments: 1, replayed: 2, skipped: 1, kept: 0 });
    assert.equal(await store.requestRecords.count({}), 2);
  });

  it('skips lines that are JSON but not records, and ignores files that are not segments', async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    writeFileSync(
      path.join(dir, 'records-1-2-ab.ndjson'),
      `["only-an-id"]\n{"x":1}\nnull\n${encodeRecord(record())}`,
    );
    writeFileSync(path.join(dir, 'notes.txt'), 'not a segment');
    const result = await replay(dir, store);
    assert.deepEqual(result, { segments: 1, replayed: 1, skipped: 3, kept: 0 });
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
  });

  it("leaves a live process's segments alone", async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    spool.append(record());
    const result = await replayRecordSpool({
      dir,
      insertMissing: insertMissingRecords(store),
      isAlive: () => true,
    });
    assert.equal(result.segments, 0);
    assert.equal(await store.requestRecords.count({}), 0);
    spool.commit(1);
  });

  it('keeps a segment whose records cannot be stored, for the next start', async () => {
    const dir = freshDir();
    const spool = createRecordSpool({ dir });
    spool.append(record());
    spool.close();
    const warnings: string[] = [];
    const result = await replayRecordSpool({
      dir,
      insertMissing: () => Promise.reject(new Error('database down')),
      isAlive: () => false,
      logger: { warn: (_fields, message) => warnings.push(message) },
    });
    assert.equal(result.kept, 1);
    assert.equal(readdirSync(dir).length, 1);
    assert.equal(warnings.length, 1);
  });

  it('a missing spool directory replays nothing', async () => {
    const result = await replayRecordSpool({
      dir: path.join(root, 'absent'),
      insertMissing: () => Promise.resolve(),
    });
    assert.equal(result.segments, 0);
  });

  it('every record a SIGKILLed writer accepted is stored after the replay', async (t) => {
    const store = await openStore(t);
    const dir = freshDir();
    const url = (file: string) =>
      JSON.stringify(pathToFileURL(path.join(import.meta.dirname, file)).href);
    // The child's store never answers: every accepted record is still queued at the kill.
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { createRecordSpool } from ${url('record-spool.ts')};
        import { createRecordWriter } from ${url('record-writer.ts')};
        const spool = createRecordSpool({ dir: ${JSON.stringify(dir)}, segmentBytes: 4096 });
        const store = { requestRecords: { insertMany: () => new Promise(() => {}) } };
        const writer = createRecordWriter({ store, queueSize: 1000, batchSize: 7, spool });
        const ids = [];
        for (let i = 0; i < 100; i++) {
          const id = crypto.randomUUID();
          ids.push(id);
          writer.write({ ...${JSON.stringify(record())}, id, time: new Date() });
        }
        process.stdout.write(JSON.stringify(ids), () => process.kill(process.pid, 'SIGKILL'));
        `,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const ids = JSON.parse(child.stdout) as string[];
    assert.equal(ids.length, 100);
    const result = await replay(dir, store);
    assert.equal(result.replayed, 100);
    assert.equal(await store.requestRecords.count({}), 100);
    for (const id of ids) assert.ok(await store.requestRecords.find(id), id);
  });
});
