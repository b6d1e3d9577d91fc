/**
 * Random bytes from a pool refilled 4 KiB at a time: OpenSSL's generator
 * costs a few µs per call however few bytes are asked, and the hot paths
 * (session ids, AES-GCM nonces, trace ids) each want a dozen bytes per
 * request. Every byte is handed out once; a refill is a new buffer, so a
 * slice handed out earlier never changes.
 */
import crypto from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `bytes` fresh random bytes: a view into the pool, valid for good. */
export function pooledRandomBytes(bytes: number): Buffer {
  if (bytes > POOL_BYTES) return crypto.randomBytes(bytes);
  if (offset + bytes > pool.length) {
    pool = crypto.randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return slice;
}
