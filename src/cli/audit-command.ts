import { createAuditLog } from '../audit/audit-log.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './cli-command.ts';
import { describeStore, openMigratedStore } from './open-migrated-store.ts';
import { parseCommandArgs } from './parse-command-args.ts';

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'Check the audit log of administrative changes (audit verify)',
  help: `Usage: portcullis audit verify

Checks that the audit log is intact: every entry's hash covers its content and
the previous entry's hash, and the log's head names the last entry. Prints
"ok: N rows" and the head hash, exit code 0; or names the first entry that
fails and why (edited, removed, replaced), exit code 1.

Keep the printed head hash somewhere else (a ticket, a log shipper): anyone
able to rewrite the whole database could recompute the chain, but not match
a head hash recorded outside it.

The store is SQLite in PORTCULLIS_DATA_DIR, or PostgreSQL when
PORTCULLIS_DATABASE_URL is set.`,

  async run(args, io) {
    const [subcommand, ...rest] = args;
    if (subcommand !== 'verify')
      throw new UsageError(
        subcommand === undefined
          ? 'missing subcommand: verify'
          : `unknown subcommand "${subcommand}" (expected verify)`,
      );
    parseCommandArgs(rest, {});
    const config = parseRuntimeConfig(io.env);
    const { store } = await openMigratedStore(config);
    try {
      const result = await createAuditLog({ store }).verify();
      if (result.ok) {
        io.out(`ok: ${result.rows} rows (head ${result.headHash})`);
        return EXIT_OK;
      }
      io.err(
        `portcullis audit verify: ${describeStore(config)}: row ${result.seq} fails: ${result.reason} (${result.rows} rows before it are intact)`,
      );
      return EXIT_FAILURE;
    } finally {
      await store.close();
    }
  },
};
