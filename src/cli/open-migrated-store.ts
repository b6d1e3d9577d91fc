import type { RuntimeConfig } from '../config/runtime-config.ts';
import { createStore } from '../store/create-store.ts';
import { storeOptionsFromConfig } from '../store/store-options.ts';
import type { Store } from '../store/store.ts';

/** Opens the configured store and brings its schema up to date. */
export async function openMigratedStore(
  config: RuntimeConfig,
): Promise<{ store: Store; applied: string[] }> {
  const store = await createStore(storeOptionsFromConfig(config));
  try {
    return { store, applied: await store.migrate() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Where the store lives, for messages; never prints a password in a database URL. */
export function describeStore(config: RuntimeConfig): string {
  const options = storeOptionsFromConfig(config);
  if (options.kind === 'sqlite') return `SQLite ${options.file}`;
  const url = new URL(options.url);
  url.password = '';
  return `PostgreSQL ${url.host}${url.pathname}`;
}
