import { applyConfig } from '../config/apply-config.ts';
import { formatApplySummary } from '../config/apply-summary.ts';
import { loadConfigFile } from '../config/load-config-file.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import { loadOrCreateSecretKey } from '../config/secret-key.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_OK, UsageError } from './cli-command.ts';
import { describeStore, openMigratedStore } from './open-migrated-store.ts';
import { parseCommandArgs } from './parse-command-args.ts';

export const applyCommand: CliCommand = {
  name: 'apply',
  summary: 'Apply a declarative config file to the database',
  help: `Usage: portcullis apply -f FILE

Applies the YAML config FILE to the store in one transaction: all of it or
nothing. Applying the same file twice changes nothing. For every workspace the
file declares, members, servers and api keys not in the file are removed (api
keys are revoked). Secrets are read from the environment variables the file
names (password_env, key_env, value_env).

Options:
  -f, --file FILE   the config file (required)
  -h, --help        show this help`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, { file: { type: 'string', short: 'f' } });
    if (values.file === undefined)
      throw new UsageError('apply needs a config file: portcullis apply -f FILE');
    const config = parseRuntimeConfig(io.env);
    const declared = await loadConfigFile(values.file);
    const secretKey = await loadOrCreateSecretKey(config, (message) =>
      io.err(`warning: ${message}`),
    );
    const vault = createVault({ secretKey, previousSecretKeys: config.previousSecretKeys });
    const { store } = await openMigratedStore(config);
    try {
      const summary = await applyConfig(store, declared, io.env, {
        source: values.file,
        defaultTimeoutMs: config.upstreamTimeoutMs,
        vault,
      });
      for (const warning of summary.warnings) io.err(`warning: ${warning}`);
      io.out(`Applied ${values.file} to ${describeStore(config)}: ${formatApplySummary(summary)}`);
    } finally {
      await store.close();
    }
    return EXIT_OK;
  },
};
