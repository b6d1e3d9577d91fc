import { loadConfigFile } from '../config/load-config-file.ts';
import { resolveConfigSecrets } from '../config/resolve-config-secrets.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_OK, UsageError } from './cli-command.ts';
import { parseCommandArgs } from './parse-command-args.ts';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export const validateConfigCommand: CliCommand = {
  name: 'validate-config',
  summary: 'Check a declarative config file without applying it',
  help: `Usage: portcullis validate-config [-f FILE] [--check-env]

Parses and validates the YAML config FILE (default: PORTCULLIS_CONFIG) and
prints every problem as \`path: message (line L, column C)\`. Exits 1 when the
file is invalid, 0 with a one-line summary when it is valid. Nothing is
written and no database is opened.

Options:
  -f, --file FILE   the config file (default: PORTCULLIS_CONFIG)
      --check-env   also check that every password_env, key_env and
                    value_env variable is set in this environment
  -h, --help        show this help`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      file: { type: 'string', short: 'f' },
      'check-env': { type: 'boolean' },
    });
    const file = values.file ?? io.env.PORTCULLIS_CONFIG;
    if (file === undefined || file === '')
      throw new UsageError('validate-config needs a file: -f FILE or PORTCULLIS_CONFIG');
    const config = await loadConfigFile(file);
    if (values['check-env'] === true) resolveConfigSecrets(config, io.env, file);
    const servers = config.workspaces.reduce((sum, ws) => sum + ws.servers.length, 0);
    io.out(
      `${file} is valid: ${count(config.users.length, 'user')}, ${count(config.workspaces.length, 'workspace')}, ` +
        `${count(servers, 'server')}, ${count(config.api_keys.length, 'api key')}`,
    );
    return EXIT_OK;
  },
};
