/**
 * API keys as bearer credentials. Keys are 256-bit random strings, so they
 * are stored and looked up as SHA-256 hashes; the plaintext never persists.
 */
import { hashApiKey } from '../../shared/api-key-hash.ts';
import { GenerationalCache } from '../../shared/generational-cache.ts';
import type { ApiKey } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';

export interface ApiKeyIndex {
  reload(store: Store): Promise<void>;
  findByKey(key: string): ApiKey | undefined;
}

/** Keys recently presented, so a client's every request does not hash its key again. */
const PRESENTED_CACHE_SIZE = 10_000;

/** In-memory index by hash, reloaded with the route table. */
export function createApiKeyIndex(): ApiKeyIndex {
  let byHash = new Map<string, ApiKey>();
  // Only keys that exist are remembered: random guesses cannot grow it.
  let presented = new GenerationalCache<string, ApiKey>(PRESENTED_CACHE_SIZE);
  return {
    async reload(store) {
      byHash = new Map((await store.apiKeys.list()).map((key) => [key.keyHash, key]));
      presented = new GenerationalCache(PRESENTED_CACHE_SIZE);
    },
    findByKey(key) {
      const cached = presented.get(key);
      if (cached !== undefined) return cached;
      const found = byHash.get(hashApiKey(key));
      if (found !== undefined) presented.set(key, found);
      return found;
    },
  };
}
