import {
  rotateSecrets,
  UnreadableSecretsError,
} from '../auth/upstream-credentials/reseal-secrets.ts';
import type { ResealTally } from '../auth/upstream-credentials/reseal-secrets.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_FAILURE, EXIT_OK } from './cli-command.ts';
import { describeStore, openMigratedStore } from './open-migrated-store.ts';
import { parseCommandArgs } from './parse-command-args.ts';

function describeTally(tally: ResealTally): string {
  return `${tally.kind}: ${tally.resealed} re-sealed, ${tally.sealed} sealed from plaintext, ${tally.current} already current`;
}

export const rotateKeyCommand: CliCommand = {
  name: 'rotate-key',
  summary: 'Re-encrypt every stored secret under a new secret key',
  help: `Usage: portcullis rotate-key

Re-seals every secret stored in the database (stdio server environment values,
upstream header values, OAuth client secrets, signing keys) under the key in
PORTCULLIS_SECRET_KEY. Values sealed under a key listed in
PORTCULLIS_PREVIOUS_SECRET_KEYS are opened with it. Nothing is changed when some
value opens under none of these keys. Running it again changes nothing.

Procedure:
  1. Start every instance with the new key in PORTCULLIS_SECRET_KEY and the
     old one in PORTCULLIS_PREVIOUS_SECRET_KEYS (both keys open everything).
  2. Run \`portcullis rotate-key\` with the same settings.
  3. Remove the old key from PORTCULLIS_PREVIOUS_SECRET_KEYS and restart.

The counts per kind are printed; values never are.`,

  async run(args, io) {
    parseCommandArgs(args, {});
    const config = parseRuntimeConfig(io.env);
    if (config.secretKey === undefined) {
      io.err(
        'portcullis rotate-key: set the new key in PORTCULLIS_SECRET_KEY and the former ones in PORTCULLIS_PREVIOUS_SECRET_KEYS (a generated key is in secret.key in the data directory)',
      );
      return EXIT_FAILURE;
    }
    const vault = createVault({
      secretKey: config.secretKey,
      previousSecretKeys: config.previousSecretKeys,
    });
    const { store } = await openMigratedStore(config);
    try {
      const tallies = await rotateSecrets(store, {
        vault,
        legacySecretKeys: [config.secretKey, ...config.previousSecretKeys],
      });
      io.out(`Rotated the secrets of ${describeStore(config)} to key ${vault.keyId}:`);
      for (const tally of tallies) io.out(`  ${describeTally(tally)}`);
    } catch (error) {
      if (!(error instanceof UnreadableSecretsError)) throw error;
      io.err(`portcullis rotate-key: nothing changed: ${error.message}`);
      return EXIT_FAILURE;
    } finally {
      await store.close();
    }
    return EXIT_OK;
  },
};
