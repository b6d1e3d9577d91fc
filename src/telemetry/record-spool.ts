/**
 * A local append-only spool of request records (src/telemetry/README.md,
 * "Crash safety"). The record writer appends every record it accepts with one
 * synchronous write before queueing it, and reports the records its batches
 * finished, oldest first. A SIGKILL then loses nothing the process wrote: the
 * kernel keeps the file's pages when the process dies. No fsync, so power
 * loss or a kernel crash can still lose the last seconds.
 *
 * Segments are NDJSON files named `records-<ms>-<pid>-<random>.ndjson`. A
 * record is a JSON array of its fields in RECORD_FIELDS order (time as epoch
 * ms: an array of primitives serializes in a third of the time of the
 * object with its Date); `{"c":N}` marks the first N records of the segment
 * as stored. A segment whose records are all stored is deleted; the current
 * one is rotated at `segmentBytes`. record-spool-replay.ts reads what a dead
 * process left.
 */
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RequestRecord } from './request-record.ts';

export interface RecordSpool {
  /** Writes `record` to the current segment; synchronous, never throws. */
  append(record: RequestRecord): void;
  /** The oldest `count` appended records are stored or given up on. */
  commit(count: number): void;
  /** Closes the files; segments still holding unstored records stay for the next start. */
  close(): void;
}

export interface RecordSpoolOptions {
  dir: string;
  /** Size at which a segment is closed and a new one started; default 1 MiB. */
  segmentBytes?: number;
  logger?: { error(fields: object, message: string): void };
}

/** The order of a record's fields on a spool line. Append new fields at the end only. */
export const RECORD_FIELDS = [
  'id',
  'time',
  'workspaceId',
  'serverId',
  'principalKind',
  'principalId',
  'apiKeyId',
  'clientId',
  'clientName',
  'clientVersion',
  'method',
  'target',
  'era',
  'protocolVersion',
  'sessionTag',
  'latencyMs',
  'upstreamLatencyMs',
  'status',
  'httpStatus',
  'errorCode',
  'errorMessage',
  'bytesIn',
  'bytesOut',
  'arguments',
  'result',
  'traceId',
] as const satisfies readonly (keyof RequestRecord)[];

export const SEGMENT_PATTERN = /^records-\d+-(\d+)-[0-9a-f]+\.ndjson$/;

export function encodeRecord(r: RequestRecord): string {
  // Written out rather than mapped over RECORD_FIELDS: this runs once per request.
  return `${JSON.stringify([
    r.id,
    r.time.getTime(),
    r.workspaceId,
    r.serverId,
    r.principalKind,
    r.principalId,
    r.apiKeyId,
    r.clientId,
    r.clientName,
    r.clientVersion,
    r.method,
    r.target,
    r.era,
    r.protocolVersion,
    r.sessionTag,
    r.latencyMs,
    r.upstreamLatencyMs,
    r.status,
    r.httpStatus,
    r.errorCode,
    r.errorMessage,
    r.bytesIn,
    r.bytesOut,
    r.arguments,
    r.result,
    r.traceId,
  ])}\n`;
}

interface Segment {
  file: string;
  fd: number;
  appended: number;
  committed: number;
  bytes: number;
}

export function createRecordSpool(options: RecordSpoolOptions): RecordSpool {
  const segmentBytes = options.segmentBytes ?? 1 << 20;
  /** Oldest first; the last one is the current segment unless it is full. */
  const segments: Segment[] = [];
  let current: Segment | undefined;
  let sequence = 0;
  let broken = false;
  mkdirSync(options.dir, { recursive: true });

  function fail(error: unknown, message: string): void {
    // One report: a full or read-only disk would otherwise log once per request.
    if (!broken) options.logger?.error({ err: error, dir: options.dir }, message);
    broken = true;
  }

  function open(): Segment {
    const name = `records-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}${String(sequence++)}.ndjson`;
    const file = path.join(options.dir, name);
    const segment = { file, fd: openSync(file, 'wx'), appended: 0, committed: 0, bytes: 0 };
    segments.push(segment);
    return segment;
  }

  function remove(segment: Segment): void {
    closeSync(segment.fd);
    unlinkSync(segment.file);
  }

  return {
    append(record) {
      if (broken) return;
      try {
        const line = encodeRecord(record);
        current ??= open();
        current.bytes += writeSync(current.fd, line);
        current.appended++;
        if (current.bytes >= segmentBytes) current = undefined;
      } catch (error) {
        fail(error, 'the record spool cannot be written; records are no longer crash-safe');
      }
    },

    commit(count) {
      let left = count;
      try {
        while (left > 0 && segments.length > 0) {
          const oldest = segments[0]!;
          const taken = Math.min(left, oldest.appended - oldest.committed);
          oldest.committed += taken;
          left -= taken;
          if (oldest.committed < oldest.appended) {
            if (!broken) writeSync(oldest.fd, `{"c":${String(oldest.committed)}}\n`);
            return;
          }
          if (oldest === current) current = undefined;
          segments.shift();
          remove(oldest);
        }
      } catch (error) {
        fail(error, 'the record spool cannot be updated; records are no longer crash-safe');
      }
    },

    close() {
      for (const segment of segments.splice(0)) {
        try {
          if (segment.committed >= segment.appended) remove(segment);
          else closeSync(segment.fd);
        } catch {
          // Left for the next start, which skips what is already stored.
        }
      }
      current = undefined;
    },
  };
}
