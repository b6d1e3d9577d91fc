import { createAuditLog } from '../audit/audit-log.ts';
import {
  rotateSecrets,
  UnreadableSecretsError,
} from '../auth/upstream-credentials/reseal-secrets.ts';
import type { ResealTally } from '../auth/upstream-credentials/reseal-secrets.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_FAILURE, EXIT_OK } from './cli-command.ts';
import { storeOptionsFromConfig } from '../store/store-options.ts';
import type { Store } from '../store/store.ts';
import { compactSqliteFile } from './compact-sqlite-file.ts';
import { describeStore, openMigratedStore } from './open-migrated-store.ts';
import { parseCommandArgs } from './parse-command-args.ts';

/** Every pending authorization counts as expired at the end of time (Date's maximum). */
const END_OF_TIME = new Date(8.64e15);

/**
 * Upstream OAuth authorizations in flight (PKCE verifiers, ten-minute life)
 * are deleted, not re-sealed: the store cannot list them, and a member whose
 * connect is cut short just starts it again.
 */
function deletePendingAuthorizations(store: Store): Promise<number> {
  return store.upstreamAuthorizations.removeExpired(END_OF_TIME);
}

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
value opens under none of these keys. Running it again re-seals nothing.

Upstream OAuth connections being made right now (pending authorizations, which
live ten minutes) are deleted, not re-sealed: those members start connecting
again. The rotation is recorded in the audit log (action vault.rotate).

Procedure:
  1. Start every instance with the new key in PORTCULLIS_SECRET_KEY and the
     old one in PORTCULLIS_PREVIOUS_SECRET_KEYS (both keys open everything).
  2. Run \`portcullis rotate-key\` with the same settings.
  3. Remove the old key from PORTCULLIS_PREVIOUS_SECRET_KEYS and restart.

On SQLite the database file is then compacted (VACUUM): rewritten and deleted
rows leave their old bytes in free pages, which would keep values sealed under
the former key. The counts per kind are printed; values never are.`,

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
      const deleted = await deletePendingAuthorizations(store);
      // Counts per kind, never values (src/audit masks secrets anyway).
      const audit = createAuditLog({ store });
      await audit.actingAs(
        { actor: { kind: 'system', id: null, email: null }, source: 'cli' },
        () =>
          audit.record({
            action: 'vault.rotate',
            target: { type: 'vault', id: vault.keyId },
            after: {
              keyId: vault.keyId,
              // Field names the audit log does not take for secrets (mask-secrets.ts).
              kinds: tallies.map((tally) => ({
                kind: tally.kind,
                rotated: tally.resealed,
                fromPlaintext: tally.sealed,
                alreadyCurrent: tally.current,
              })),
              pendingConnectsDeleted: deleted,
            },
          }),
      );
      io.out(`Rotated the secrets of ${describeStore(config)} to key ${vault.keyId}:`);
      for (const tally of tallies) io.out(`  ${describeTally(tally)}`);
      io.out(
        `  pending upstream OAuth authorizations: ${deleted} deleted (not re-sealed; those members connect again)`,
      );
      const options = storeOptionsFromConfig(config);
      if (options.kind === 'sqlite') io.out(`  ${compactSqliteFile(options.file)}`);
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
