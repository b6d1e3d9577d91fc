/**
 * The vault: envelope encryption of secrets at rest (upstream header values,
 * stdio environment secrets, OAuth client secrets, signing keys, and the
 * upstream tokens to come). Each secret gets its own random data key
 * (AES-256-GCM); the data key is wrapped under a key-encryption key derived
 * from PORTCULLIS_SECRET_KEY and named by a key id, so `portcullis
 * rotate-key` can re-wrap everything under a new secret key while former
 * keys (PORTCULLIS_PREVIOUS_SECRET_KEYS) still open what they sealed.
 */
import crypto from 'node:crypto';

export interface Vault {
  /** Key id of the current secret key; new seals use it. */
  readonly keyId: string;
  /**
   * Encrypts `plaintext`; `purpose` is bound as associated data, so a value
   * sealed for one purpose (e.g. `server-header`) never opens as another.
   */
  seal(purpose: string, plaintext: string): string;
  /** Throws VaultError for anything tampered, foreign, or sealed under an unknown key. */
  open(purpose: string, sealed: string): string;
  /** Whether `sealed` was made under a key other than the current one (rotate-key re-seals it). */
  isStale(sealed: string): boolean;
}

/** A value that does not open: tampered, sealed for another purpose, or under no known key. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface VaultOptions {
  /** PORTCULLIS_SECRET_KEY (or the generated key): new seals use it. */
  secretKey: string;
  /** PORTCULLIS_PREVIOUS_SECRET_KEYS: they still open, never seal. */
  previousSecretKeys?: readonly string[];
}

const VERSION = 'pcv1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const KEY_ID_CHARS = 12;
const PART = '[A-Za-z0-9_-]+';
const SEALED_SHAPE = new RegExp(
  `^${VERSION}\\.([A-Za-z0-9_-]{${KEY_ID_CHARS}})\\.(${PART})\\.(${PART})\\.(${PART})$`,
);

interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

function deriveKek(secretKey: string): KeyEncryptionKey {
  const key = Buffer.from(crypto.hkdfSync('sha256', secretKey, 'portcullis', 'vault kek v1', 32));
  const idMaterial = Buffer.from(
    crypto.hkdfSync('sha256', secretKey, 'portcullis', 'vault key id v1', 32),
  );
  const id = crypto
    .createHash('sha256')
    .update(idMaterial)
    .digest('base64url')
    .slice(0, KEY_ID_CHARS);
  return { id, key };
}

/** `iv ‖ ciphertext ‖ tag` of AES-256-GCM with `aad` bound. */
function encrypt(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; body: Buffer } {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, body };
}

function decrypt(key: Buffer, iv: Buffer, body: Buffer, aad: string): Buffer {
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new VaultError('malformed value');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new VaultError('the value does not open: tampered, or sealed for another purpose');
  }
}

/** Whether `value` has the vault's format (it may still fail to open). */
export function isSealedValue(value: string): boolean {
  return SEALED_SHAPE.test(value);
}

/**
 * `pcv1.<key id>.<wrapped data key>.<iv>.<ciphertext ‖ tag>` (base64url parts).
 * The data key is wrapped under the key-encryption key with the version and
 * key id as associated data; the payload binds the purpose.
 */
export function createVault(options: VaultOptions): Vault {
  const current = deriveKek(options.secretKey);
  const keks = new Map<string, KeyEncryptionKey>();
  for (const secret of [...(options.previousSecretKeys ?? [])].reverse()) {
    const kek = deriveKek(secret);
    keks.set(kek.id, kek);
  }
  keks.set(current.id, current);

  const parse = (sealed: string) => {
    const match = SEALED_SHAPE.exec(sealed);
    if (match === null) throw new VaultError('not a sealed value');
    const [, keyId, wrapped, iv, body] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    return { keyId, wrapped, iv, body };
  };

  return {
    keyId: current.id,
    seal(purpose, plaintext) {
      const dataKey = crypto.randomBytes(DATA_KEY_BYTES);
      const header = `${VERSION}.${current.id}`;
      const wrapped = encrypt(current.key, dataKey, header);
      const payload = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), purpose);
      dataKey.fill(0);
      return [
        header,
        Buffer.concat([wrapped.iv, wrapped.body]).toString('base64url'),
        payload.iv.toString('base64url'),
        payload.body.toString('base64url'),
      ].join('.');
    },
    open(purpose, sealed) {
      const parts = parse(sealed);
      const kek = keks.get(parts.keyId);
      if (kek === undefined)
        throw new VaultError(
          `sealed under an unknown key (${parts.keyId}); is the right PORTCULLIS_SECRET_KEY or PORTCULLIS_PREVIOUS_SECRET_KEYS set?`,
        );
      const wrapped = Buffer.from(parts.wrapped, 'base64url');
      const dataKey = decrypt(
        kek.key,
        wrapped.subarray(0, IV_BYTES),
        wrapped.subarray(IV_BYTES),
        `${VERSION}.${parts.keyId}`,
      );
      if (dataKey.length !== DATA_KEY_BYTES) throw new VaultError('malformed value');
      try {
        return decrypt(
          dataKey,
          Buffer.from(parts.iv, 'base64url'),
          Buffer.from(parts.body, 'base64url'),
          purpose,
        ).toString('utf8');
      } finally {
        dataKey.fill(0);
      }
    },
    isStale(sealed) {
      return parse(sealed).keyId !== current.id;
    },
  };
}
