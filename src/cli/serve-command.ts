import { parseRuntimeConfig } from '../config/runtime-config.ts';
import type { CliCommand } from './cli-command.ts';
import { EXIT_OK } from './cli-command.ts';
import { integerFlag, parseCommandArgs } from './parse-command-args.ts';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the gateway (the default for npm start)',
  help: `Usage: portcullis serve [--config FILE] [--port N] [--host H]

Runs the gateway until SIGINT or SIGTERM. Settings come from PORTCULLIS_*
environment variables (see docs/configuration.md); flags override them.

Options:
  -c, --config FILE   declarative config applied at start (PORTCULLIS_CONFIG)
  -p, --port N        TCP port, 0 for any free port (PORTCULLIS_PORT, default 8080)
      --host H        interface to listen on (PORTCULLIS_HOST, default 127.0.0.1)
  -h, --help          show this help`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
    });
    const config = parseRuntimeConfig({
      ...io.env,
      PORTCULLIS_CONFIG: values.config ?? io.env.PORTCULLIS_CONFIG,
      PORTCULLIS_PORT: integerFlag('port', values.port) ?? io.env.PORTCULLIS_PORT,
      PORTCULLIS_HOST: values.host ?? io.env.PORTCULLIS_HOST,
    });
    // Loaded here, not at the top: the other commands do not need the server.
    const { startGateway } = await import('../main.ts');
    const gateway = await startGateway({ config, env: io.env });
    io.out(`Portcullis is listening on ${gateway.url} (public URL ${gateway.publicUrl})`);
    const signal = await io.stopSignal();
    io.err(`${signal}: shutting down`);
    await gateway.close();
    return EXIT_OK;
  },
};
