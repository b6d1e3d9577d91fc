/**
 * The master key for encryption at rest and sealed session ids. Taken from
 * PORTCULLIS_SECRET_KEY, or else generated once into `<dataDir>/secret.key`
 * (32 random bytes, base64, mode 0600) with a warning on every start: losing
 * that file makes every encrypted secret unreadable.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RuntimeConfig } from './runtime-config.ts';
import { ConfigError } from './runtime-config.ts';

export const SECRET_KEY_FILE_NAME = 'secret.key';
const MIN_KEY_LENGTH = 32;

function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

async function readKeyFile(file: string): Promise<string> {
  const key = (await readFile(file, 'utf8')).trim();
  if (key.length < MIN_KEY_LENGTH)
    throw new ConfigError([
      `${file}: the secret key is shorter than ${MIN_KEY_LENGTH} characters; restore the original file or set PORTCULLIS_SECRET_KEY`,
    ]);
  return key;
}

export async function loadOrCreateSecretKey(
  config: Pick<RuntimeConfig, 'secretKey' | 'dataDir'>,
  warn: (message: string) => void,
): Promise<string> {
  if (config.secretKey !== undefined) return config.secretKey;
  const file = path.join(config.dataDir, SECRET_KEY_FILE_NAME);
  let key: string;
  let created = false;
  try {
    key = await readKeyFile(file);
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
    await mkdir(config.dataDir, { recursive: true });
    key = randomBytes(32).toString('base64');
    // Written aside, then linked into place: link() fails if the file exists,
    // so instances starting at once all end up with the first one's key, and
    // nobody ever reads a half-written file.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(draft, `${key}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await link(draft, file);
      created = true;
    } catch (linkError) {
      if (!isErrnoException(linkError, 'EEXIST')) throw linkError;
      key = await readKeyFile(file);
    } finally {
      await unlink(draft);
    }
  }
  warn(
    `PORTCULLIS_SECRET_KEY is not set: using the ${created ? 'newly generated' : 'generated'} key in ${file}. ` +
      'Back this file up (losing it makes stored secrets unreadable) and set PORTCULLIS_SECRET_KEY in production.',
  );
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0)
    warn(`${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it.`);
  return key;
}
