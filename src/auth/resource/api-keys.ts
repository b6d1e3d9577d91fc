/**
 * API keys as bearer credentials. Keys are 256-bit random strings, so they
 * are stored and looked up as SHA-256 hashes; the plaintext never persists.
 */
import { hashApiKey } from '../../shared/api-key-hash.ts';
import type { ApiKey } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';

export interface ApiKeyIndex {
  reload(store: Store): Promise<void>;
  findByKey(key: string): ApiKey | undefined;
}

/** In-memory index by hash, reloaded with the route table. */
export function createApiKeyIndex(): ApiKeyIndex {
  let byHash = new Map<string, ApiKey>();
  return {
    async reload(store) {
      byHash = new Map((await store.apiKeys.list()).map((key) => [key.keyHash, key]));
    },
    findByKey: (key) => byHash.get(hashApiKey(key)),
  };
}
