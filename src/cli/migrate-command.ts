import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_OK } from './cli-command.ts';
import { describeStore, openMigratedStore } from './open-migrated-store.ts';
import { parseCommandArgs } from './parse-command-args.ts';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Bring the database schema up to date',
  help: `Usage: portcullis migrate

Applies every pending database migration and exits. \`serve\` and \`apply\`
migrate too; run this on its own to migrate before rolling out new instances.

The store is SQLite in PORTCULLIS_DATA_DIR, or PostgreSQL when
PORTCULLIS_DATABASE_URL is set.`,

  async run(args, io) {
    parseCommandArgs(args, {});
    const config = parseRuntimeConfig(io.env);
    const { store, applied } = await openMigratedStore(config);
    await store.close();
    const where = describeStore(config);
    io.out(
      applied.length === 0
        ? `${where}: schema is up to date`
        : `${where}: applied ${applied.length} migration${applied.length === 1 ? '' : 's'} (${applied.join(', ')})`,
    );
    return EXIT_OK;
  },
};
