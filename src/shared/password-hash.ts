/**
 * Password hashing with scrypt (node:crypto), stored as a PHC string:
 * `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (unpadded base64). The parameters
 * travel with the hash, so raising them later keeps old hashes verifiable.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * OWASP Password Storage Cheat Sheet lists N=2^15, r=8, p=3 as equal in
 * strength to N=2^17, p=1; it needs 32 MiB instead of 128 MiB per sign-in.
 */
const DEFAULT_LOG2_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 3;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

interface ScryptParameters {
  log2N: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParameters) {
  const N = 2 ** params.log2N;
  // scrypt needs about 128·N·r bytes, just above node's default maxmem (32 MiB) here.
  const maxmem = 128 * N * params.r * params.p + 16 * 1024 * 1024;
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      keyLength,
      { N, r: params.r, p: params.p, maxmem },
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

export async function hashPassword(
  password: string,
  log2N: number = DEFAULT_LOG2_N,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, { log2N, r: BLOCK_SIZE, p: PARALLELISM });
  return `$scrypt$ln=${log2N},r=${BLOCK_SIZE},p=${PARALLELISM}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** False for a wrong password and for anything that is not a scrypt PHC string. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const match = PHC.exec(phc);
  if (match === null) return false;
  const [, ln, r, p, salt, hash] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const params = { log2N: Number(ln), r: Number(r), p: Number(p) };
  // Bounds keep a tampered hash from asking for gigabytes.
  if (params.log2N < 10 || params.log2N > 20 || params.r > 16 || params.p > 16 || params.p < 1)
    return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), expected.length, params);
  return timingSafeEqual(actual, expected);
}
