import path from 'node:path';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { StoreOptions } from './create-store.ts';

export const SQLITE_FILE_NAME = 'portcullis.db';

/** PostgreSQL when a database URL is configured, else SQLite in the data dir. */
export function storeOptionsFromConfig(
  config: Pick<RuntimeConfig, 'dataDir' | 'databaseUrl' | 'databasePoolSize'> &
    Partial<Pick<RuntimeConfig, 'databaseStatementTimeoutMs'>>,
): StoreOptions {
  if (config.databaseUrl !== undefined)
    return {
      kind: 'postgres',
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      ...(config.databaseStatementTimeoutMs === undefined
        ? {}
        : { statementTimeoutMs: config.databaseStatementTimeoutMs }),
    };
  return { kind: 'sqlite', file: path.join(config.dataDir, SQLITE_FILE_NAME) };
}
