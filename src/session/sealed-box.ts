/**
 * AEAD sealing (AES-256-GCM) of small self-describing tokens: legacy
 * session ids and MRTR request state. Any instance holding the secret key
 * can open what another sealed, so no session table or sticky routing is
 * needed. The purpose string is bound as associated data, so a token sealed
 * for one purpose never opens as another.
 */
import crypto from 'node:crypto';
import { pooledRandomBytes } from '../shared/random-pool.ts';

export interface SealedBox {
  seal(purpose: string, payload: unknown): string;
  /** Returns undefined for anything that was not sealed by this key for this purpose. */
  open<T>(purpose: string, token: string): T | undefined;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSealedBox(secretKey: string): SealedBox {
  const key = Buffer.from(crypto.hkdfSync('sha256', secretKey, 'portcullis', 'sealed-box v1', 32));
  return {
    seal(purpose, payload) {
      const iv = pooledRandomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open<T>(purpose: string, token: string): T | undefined {
      if (token.length < 40 || token.length > 16_384 || !/^[A-Za-z0-9_-]+$/.test(token))
        return undefined;
      const raw = Buffer.from(token, 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES + 1) return undefined;
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(purpose));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const text = Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    },
  };
}
