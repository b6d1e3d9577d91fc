/**
 * API keys are stored only as SHA-256 (hex) plus a short prefix admins can
 * recognise. A fast hash is safe because keys carry at least 256 bits of
 * entropy; the declarative config refuses shorter keys (MIN_API_KEY_LENGTH).
 */
import { createHash } from 'node:crypto';

/** 32 random bytes as base64url is 43 characters. */
export const MIN_API_KEY_LENGTH = 32;
const PREFIX_LENGTH = 8;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}
