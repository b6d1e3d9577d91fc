/**
 * Start-up of the record spool (PORTCULLIS_RECORD_SPOOL): first the records a
 * previous process on this data directory left unstored are inserted, then
 * this process's spool opens in the same directory.
 */
import path from 'node:path';
import type { Store } from '../store/store.ts';
import { createRecordSpool } from './record-spool.ts';
import type { RecordSpool } from './record-spool.ts';
import { insertMissingRecords, replayRecordSpool } from './record-spool-replay.ts';

export interface SpoolLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export async function openRecordSpool(
  dataDir: string,
  store: { readonly requestRecords: Pick<Store['requestRecords'], 'insertMany' | 'find'> },
  logger: SpoolLogger,
): Promise<RecordSpool> {
  const dir = path.join(dataDir, 'record-spool');
  const replay = await replayRecordSpool({
    dir,
    insertMissing: insertMissingRecords(store),
    logger,
  });
  if (replay.segments > 0)
    logger.info(
      { ...replay },
      'request records left by a previous process were recovered from the record spool',
    );
  if (replay.skipped > 0)
    logger.warn(
      { skipped: replay.skipped },
      'record spool lines that did not decode were skipped (a line cut short by a crash)',
    );
  return createRecordSpool({ dir, logger });
}
