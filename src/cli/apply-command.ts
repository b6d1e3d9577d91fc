import { applyConfig } from '../config/apply-config.ts';
import { formatApplySummary } from '../config/apply-summary.ts';
import { loadConfigFile } from '../config/load-config-file.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import { loadOrCreateSecretKey } from '../config/secret-key.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import type { ApplySummary } from '../config/apply-summary.ts';
import type { DeclarativeConfig } from '../config/declarative-schema.ts';
import { announceConfigChange } from '../shared-state/announce-config-change.ts';
import { createSharedState } from '../shared-state/shared-state.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
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

With PORTCULLIS_REDIS_URL set (the one the instances use), running
instances are told and apply the change within a second. Without it they
re-read policies and usage limits within a second, and servers, members and
api keys at their next start.

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
    let summary: ApplySummary;
    try {
      summary = await applyConfig(store, declared, io.env, {
        source: values.file,
        defaultTimeoutMs: config.upstreamTimeoutMs,
        vault,
      });
      for (const warning of summary.warnings) io.err(`warning: ${warning}`);
      io.out(`Applied ${values.file} to ${describeStore(config)}: ${formatApplySummary(summary)}`);
    } finally {
      await store.close();
    }
    if (config.redisUrl !== undefined) await tellInstances(config.redisUrl, declared, summary, io);
    return EXIT_OK;
  },
};

/** `workspace/server` of every declared policy, when any declared policy changed. */
function changedPolicies(declared: DeclarativeConfig, summary: ApplySummary): string[] {
  if (summary.policies.created + summary.policies.updated === 0) return [];
  return declared.workspaces.flatMap((workspace) =>
    workspace.servers.flatMap((server) =>
      server.policy === undefined ? [] : [`${workspace.id}/${server.id}`],
    ),
  );
}

/** The store already holds the change: a Redis failure is a warning, not a failed apply. */
async function tellInstances(
  redisUrl: string,
  declared: DeclarativeConfig,
  summary: ApplySummary,
  io: CliIo,
): Promise<void> {
  const quiet = { warn: () => undefined, info: () => undefined };
  const shared = createSharedState({ redisUrl, logger: quiet });
  try {
    await announceConfigChange(shared.notices, { policies: changedPolicies(declared, summary) });
    io.out('Running instances were told to reload.');
  } catch (error) {
    io.err(
      `warning: running instances were not told (${(error as Error).message}); they apply servers, members and api keys at their next start or admin change`,
    );
  } finally {
    await shared.close();
  }
}
