/**
 * A stdio server's environment at rest: every value is sealed by the vault
 * (purpose `server-env`), the config file's `value_env` secrets and literal
 * values alike, so nobody has to decide which literal is sensitive. Values
 * are opened only when the server's process is set up.
 *
 * A value not in the vault format is taken as it is: definitions stored
 * before the vault existed, and literal (non-secret by the admin API's rule)
 * values written by the admin API, until they are sealed at the next start
 * (`sealLegacySecrets`) or `portcullis rotate-key`.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { Vault } from './vault.ts';
import { isSealedValue, VaultError } from './vault.ts';

export const SERVER_ENV_PURPOSE = 'server-env';

export function sealServerEnv(
  vault: Vault,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, vault.seal(SERVER_ENV_PURPOSE, value)]),
  );
}

/** Throws GatewayError `secret_unreadable` naming the variable (never its value). */
export function openServerEnv(
  vault: Vault | undefined,
  serverKey: string,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!isSealedValue(value)) {
      opened[name] = value;
      continue;
    }
    try {
      if (vault === undefined) throw new VaultError('no vault to open sealed values');
      opened[name] = vault.open(SERVER_ENV_PURPOSE, value);
    } catch (error) {
      throw new GatewayError(
        'secret_unreadable',
        `The environment variable ${name} of server ${serverKey} cannot be decrypted with the configured secret keys.`,
        { cause: error },
      );
    }
  }
  return opened;
}

/**
 * The plaintext of a stored environment for comparison with a declared one;
 * undefined when some value does not open (then it is simply replaced).
 */
export function tryOpenServerEnv(
  vault: Vault,
  env: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  try {
    return openServerEnv(vault, '', env);
  } catch {
    return undefined;
  }
}
