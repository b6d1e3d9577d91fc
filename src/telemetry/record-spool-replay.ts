/**
 * Inserts the records a dead process left in its spool (record-spool.ts),
 * then deletes the segments. Run at start, before this process spools
 * anything. Idempotent: records before a segment's last `{"c":N}` mark are
 * stored already and skipped; the rest may have been stored by a batch whose
 * mark never got written, so they go through `insertMissing`, which ignores
 * ids already present. A line cut short by the kill, or any line that does
 * not decode, is skipped and counted.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store/store.ts';
import { isStoreError } from '../store/store-error.ts';
import { RECORD_FIELDS, SEGMENT_PATTERN } from './record-spool.ts';
import type { RequestRecord } from './request-record.ts';

export interface SpoolReplayResult {
  segments: number;
  /** Records not covered by a commit mark, given to `insertMissing`. */
  replayed: number;
  skipped: number;
  /** Segments kept because their records could not be stored. */
  kept: number;
}

export interface SpoolReplayOptions {
  dir: string;
  /** Stores `records`, ignoring those whose id is stored already. */
  insertMissing: (records: RequestRecord[]) => Promise<void>;
  logger?: { warn(fields: object, message: string): void };
  /** Whether process `pid` still runs; a live process's segments are its own. */
  isAlive?: (pid: number) => boolean;
}

const CHUNK = 500;

function isAliveProcess(pid: number): boolean {
  if (pid === process.pid) return false; // a previous life of this pid (containers reuse pid 1)
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The fields of the spool's first format. A version that appends a field
 * still replays what an older one left (the new field null); a line shorter
 * than this was cut or is not a record.
 */
const FIRST_FORMAT_FIELDS = 26;

function decode(value: unknown): RequestRecord | undefined {
  if (!Array.isArray(value) || value.length < FIRST_FORMAT_FIELDS) return undefined;
  const fields = value as unknown[];
  const [id, time] = fields;
  if (typeof id !== 'string' || typeof time !== 'number') return undefined;
  const record: Record<string, unknown> = {};
  RECORD_FIELDS.forEach((field, index) => (record[field] = fields[index] ?? null));
  record.time = new Date(time);
  return record as unknown as RequestRecord;
}

/** The records of a segment not covered by its last commit mark, and the lines that did not decode. */
export function parseSegment(text: string): { pending: RequestRecord[]; skipped: number } {
  const records: RequestRecord[] = [];
  let committed = 0;
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const mark = (value as { c?: unknown } | null)?.c;
    if (typeof mark === 'number') committed = Math.max(committed, mark);
    else {
      const record = decode(value);
      if (record === undefined) skipped++;
      else records.push(record);
    }
  }
  return { pending: records.slice(committed), skipped };
}

export async function replayRecordSpool(options: SpoolReplayOptions): Promise<SpoolReplayResult> {
  const isAlive = options.isAlive ?? isAliveProcess;
  const result: SpoolReplayResult = { segments: 0, replayed: 0, skipped: 0, kept: 0 };
  const names = await readdir(options.dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of names.sort()) {
    const owner = SEGMENT_PATTERN.exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    const file = path.join(options.dir, name);
    const { pending, skipped } = parseSegment(await readFile(file, 'utf8'));
    result.segments++;
    result.skipped += skipped;
    try {
      for (let i = 0; i < pending.length; i += CHUNK)
        await options.insertMissing(pending.slice(i, i + CHUNK));
    } catch (error) {
      result.kept++;
      options.logger?.warn(
        { err: error, file },
        'spooled request records could not be stored; the segment is kept for the next start',
      );
      continue;
    }
    result.replayed += pending.length;
    await unlink(file);
  }
  return result;
}

/**
 * `insertMissing` on the store port as it is: a chunk goes in whole; when it
 * collides with stored ids, the ones not found are inserted alone.
 */
export function insertMissingRecords(store: {
  readonly requestRecords: Pick<Store['requestRecords'], 'insertMany' | 'find'>;
}): (records: RequestRecord[]) => Promise<void> {
  return async (records) => {
    try {
      await store.requestRecords.insertMany(records);
    } catch (error) {
      if (!isStoreError(error) || error.code !== 'conflict') throw error;
      const missing: RequestRecord[] = [];
      for (const record of records)
        if ((await store.requestRecords.find(record.id)) === undefined) missing.push(record);
      await store.requestRecords.insertMany(missing);
    }
  };
}
