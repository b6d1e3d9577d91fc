/**
 * A bounded cache in two generations. New entries go into the young map;
 * when it holds half the capacity, the old map is dropped whole and the
 * young one becomes old. A hit in the old generation moves the entry back
 * into the young one, so entries in use stay and the least recently used go
 * first (by generation, not one by one). Values are never `undefined`.
 *
 * Why not one Map that deletes its first key when full: V8 leaves a deleted
 * entry as a hole until the table is rehashed, and `keys().next()` walks the
 * holes at the front. At 10,000 entries every eviction cost about 10 µs,
 * paid on each new legacy session once the session cache was full.
 */
export class GenerationalCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #generationSize: number;

  /** At most `capacity` entries are held (at least 2). */
  constructor(capacity: number) {
    this.#generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#store(key, old);
    }
    return old;
  }

  set(key: K, value: V): this {
    this.#old.delete(key);
    this.#store(key, value);
    return this;
  }

  delete(key: K): boolean {
    const young = this.#young.delete(key);
    return this.#old.delete(key) || young;
  }

  /** Removes every entry whose value matches: a walk over the whole cache. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const generation of [this.#young, this.#old])
      for (const [key, value] of generation) if (matches(value)) generation.delete(key);
  }

  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #store(key: K, value: V): void {
    if (!this.#young.has(key) && this.#young.size >= this.#generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
