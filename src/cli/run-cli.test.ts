import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createStore } from '../store/create-store.ts';
import { MIGRATION_NAMES } from '../store/migrations/migration-provider.ts';
import type { CliIo } from './cli-command.ts';
import { openServerEnv } from '../auth/upstream-credentials/server-env.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { runCli } from './run-cli.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const CI_KEY = 'pk_ci_0123456789abcdefghijklmnopqrstuvwxyz';
const validYaml = `users:
  - email: admin@acme.test
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
    servers:
      - id: everything
        transport: http
        url: http://127.0.0.1:3001/mcp
api_keys:
  - { name: ci, user: admin@acme.test, workspace: acme, key_env: CI_API_KEY }
`;

function writeConfig(text: string): string {
  const file = path.join(root, `config-${++counter}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Runs the CLI in-process with captured output and its own data dir. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { PORTCULLIS_DATA_DIR: path.join(root, `data-${++counter}`), ...env },
    stopSignal: () => new Promise(() => undefined),
  };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('portcullis command line', () => {
  describe('help and bad input', () => {
    it('--help lists every command and exits 0', async () => {
      const { code, out } = await cli(['--help']);
      assert.equal(code, 0);
      for (const name of ['serve', 'apply', 'migrate', 'rotate-key', 'validate-config'])
        assert.match(out, new RegExp(`\\n  ${name} `));
    });

    it('every command has its own --help', async () => {
      for (const name of ['serve', 'apply', 'migrate', 'rotate-key', 'validate-config']) {
        const { code, out } = await cli([name, '--help']);
        assert.equal(code, 0);
        assert.match(out, new RegExp(`^Usage: portcullis ${name}`));
        assert.deepEqual((await cli(['help', name])).out, out);
      }
    });

    it('no command prints usage to stderr and exits 2', async () => {
      const { code, err } = await cli([]);
      assert.equal(code, 2);
      assert.match(err, /^Usage: portcullis <command>/);
    });

    it('an unknown command exits 2 and names it', async () => {
      const { code, err } = await cli(['serv']);
      assert.equal(code, 2);
      assert.match(err, /unknown command "serv"/);
    });

    it('an unknown option exits 2 with the parser message and a pointer to --help', async () => {
      const { code, err } = await cli(['migrate', '--force']);
      assert.equal(code, 2);
      assert.match(err, /portcullis migrate: Unknown option '--force'/);
      assert.match(err, /portcullis migrate --help/);
    });

    it('apply without a file, or a non-numeric port, exits 2', async () => {
      assert.equal((await cli(['apply'])).code, 2);
      assert.match((await cli(['apply'])).err, /apply needs a config file/);
      const { code, err } = await cli(['serve', '--port', 'eighty']);
      assert.equal(code, 2);
      assert.match(err, /--port must be a non-negative integer, got "eighty"/);
    });

    it('an invalid setting in the environment exits 1 naming the variable', async () => {
      const { code, err } = await cli(['migrate'], { PORTCULLIS_DATABASE_URL: 'mysql://x' });
      assert.equal(code, 1);
      assert.match(err, /PORTCULLIS_DATABASE_URL: must be a postgres:\/\/ URL/);
    });
  });

  describe('validate-config', () => {
    it('prints a one-line summary and exits 0 for a valid file', async () => {
      const file = writeConfig(validYaml);
      const { code, out } = await cli(['validate-config', '-f', file]);
      assert.equal(code, 0);
      assert.equal(out, `${file} is valid: 1 user, 1 workspace, 1 server, 1 api key`);
    });

    it('reads PORTCULLIS_CONFIG when -f is not given', async () => {
      const file = writeConfig(validYaml);
      assert.equal((await cli(['validate-config'], { PORTCULLIS_CONFIG: file })).code, 0);
      assert.equal((await cli(['validate-config'])).code, 2);
    });

    it('prints every error with its path and exits 1', async () => {
      const file = writeConfig(
        validYaml
          .replace('        url: http://127.0.0.1:3001/mcp\n', '')
          .replace('role: owner', 'role: boss'),
      );
      const { code, err } = await cli(['validate-config', '-f', file]);
      assert.equal(code, 1);
      assert.match(err, /workspaces\.0\.members\.0\.role: Invalid option/);
      assert.match(
        err,
        /workspaces\.0\.servers\.0\.url: is required for transport http \(line 9, column 9\)/,
      );
    });

    it('--check-env also reports unset secret variables', async () => {
      const file = writeConfig(validYaml);
      const missing = await cli(['validate-config', '-f', file, '--check-env']);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /api_keys\.0\.key_env: environment variable CI_API_KEY is not set/);
      assert.equal(
        (await cli(['validate-config', '-f', file, '--check-env'], { CI_API_KEY: CI_KEY })).code,
        0,
      );
    });
  });

  describe('migrate and apply', () => {
    it('migrate applies the migrations once', async () => {
      const env = { PORTCULLIS_DATA_DIR: path.join(root, 'migrate-data') };
      const first = await cli(['migrate'], env);
      assert.equal(first.code, 0);
      assert.ok(
        first.out.endsWith(
          `portcullis.db: applied ${MIGRATION_NAMES.length} migrations (${MIGRATION_NAMES.join(', ')})`,
        ),
        first.out,
      );
      assert.match((await cli(['migrate'], env)).out, /schema is up to date$/);
    });

    it('apply writes the file to the store and a second apply changes nothing', async () => {
      const dataDir = path.join(root, 'apply-data');
      const env = { PORTCULLIS_DATA_DIR: dataDir, CI_API_KEY: CI_KEY };
      const file = writeConfig(validYaml);
      const first = await cli(['apply', '-f', file], env);
      assert.equal(first.code, 0, first.err);
      assert.match(
        first.out,
        /users: 1 created; workspaces: 1 created; members: 1 created; servers: 1 created; api keys: 1 created$/,
      );
      const second = await cli(['apply', '--file', file], env);
      assert.match(second.out, /: no changes$/);
      const store = await createStore({
        kind: 'sqlite',
        file: path.join(dataDir, 'portcullis.db'),
      });
      assert.equal((await store.servers.list('acme')).length, 1);
      await store.close();
    });

    it('apply with a missing secret exits 1, names the variable and writes nothing', async () => {
      const dataDir = path.join(root, 'apply-missing');
      const { code, err } = await cli(['apply', '-f', writeConfig(validYaml)], {
        PORTCULLIS_DATA_DIR: dataDir,
      });
      assert.equal(code, 1);
      assert.match(err, /api_keys\.0\.key_env: environment variable CI_API_KEY is not set/);
      const store = await createStore({
        kind: 'sqlite',
        file: path.join(dataDir, 'portcullis.db'),
      });
      assert.deepEqual(await store.workspaces.list(), []);
      await store.close();
    });

    it('rotate-key without PORTCULLIS_SECRET_KEY exits 1 and says how to set the keys', async () => {
      const { code, err } = await cli(['rotate-key']);
      assert.equal(code, 1);
      assert.match(
        err,
        /PORTCULLIS_SECRET_KEY and the former ones in PORTCULLIS_PREVIOUS_SECRET_KEYS/,
      );
    });

    it('rotate-key re-seals under the new key, is idempotent, and refuses unknown keys changing nothing', async () => {
      const dataDir = path.join(root, 'rotate-data');
      const oldKey = 'old-key-for-rotation-0123456789abcdefghij';
      const newKey = 'new-key-for-rotation-0123456789abcdefghij';
      const yaml = validYaml.replace(
        '    servers:\n',
        '    servers:\n      - id: memory\n        transport: stdio\n        command: node\n        env:\n          TOKEN: { value_env: MEMORY_TOKEN }\n          MODE: plain\n',
      );
      const base = { PORTCULLIS_DATA_DIR: dataDir, CI_API_KEY: CI_KEY, MEMORY_TOKEN: 'tok-secret' };
      const applied = await cli(['apply', '-f', writeConfig(yaml)], {
        ...base,
        PORTCULLIS_SECRET_KEY: oldKey,
      });
      assert.equal(applied.code, 0, applied.err);
      const rotating = {
        ...base,
        PORTCULLIS_SECRET_KEY: newKey,
        PORTCULLIS_PREVIOUS_SECRET_KEYS: oldKey,
      };
      const first = await cli(['rotate-key'], rotating);
      assert.equal(first.code, 0, first.err);
      assert.match(
        first.out,
        /server environment values: 2 re-sealed, 0 sealed from plaintext, 0 already current/,
      );
      assert.ok(!first.out.includes('tok-secret'));
      const second = await cli(['rotate-key'], rotating);
      assert.match(
        second.out,
        /server environment values: 0 re-sealed, 0 sealed from plaintext, 2 already current/,
      );

      const readEnv = async () => {
        const store = await createStore({
          kind: 'sqlite',
          file: path.join(dataDir, 'portcullis.db'),
        });
        const server = await store.servers.find('acme', 'memory');
        await store.close();
        return server?.env ?? {};
      };
      const sealed = await readEnv();
      assert.deepEqual(openServerEnv(createVault({ secretKey: newKey }), 'acme/memory', sealed), {
        TOKEN: 'tok-secret',
        MODE: 'plain',
      });

      const refused = await cli(['rotate-key'], {
        ...base,
        PORTCULLIS_SECRET_KEY: 'a-third-key-nobody-knows-0123456789abcdef',
      });
      assert.equal(refused.code, 1);
      assert.match(
        refused.err,
        /nothing changed: 2 stored secrets open under none of the configured keys \(server acme\/memory env TOKEN; server acme\/memory env MODE\)/,
      );
      assert.deepEqual(await readEnv(), sealed);
    });

    it('apply of an invalid file exits 1 before opening the store', async () => {
      const { code, err } = await cli(['apply', '-f', writeConfig('users: {}\n')]);
      assert.equal(code, 1);
      assert.match(
        err,
        /users: Invalid input: expected array, received object \(line 1, column 8\)/,
      );
    });
  });

  describe('serve', () => {
    it('starts the gateway with the flags, serves /healthz and stops on a signal', async () => {
      let stop!: (signal: string) => void;
      const lines: string[] = [];
      let listening!: () => void;
      const started = new Promise<void>((resolve) => (listening = resolve));
      const io: CliIo = {
        out: (line) => {
          lines.push(line);
          listening();
        },
        err: (line) => lines.push(line),
        env: {
          PORTCULLIS_DATA_DIR: path.join(root, 'serve-data'),
          PORTCULLIS_LOG_LEVEL: 'silent',
          PORTCULLIS_PORT: '1',
          CI_API_KEY: CI_KEY,
        },
        stopSignal: () => new Promise((resolve) => (stop = resolve)),
      };
      const exit = runCli(
        ['serve', '--port', '0', '--host', '127.0.0.1', '--config', writeConfig(validYaml)],
        io,
      );
      await Promise.race([started, exit]);
      const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1];
      assert.ok(url, lines.join('\n'));
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      stop('SIGTERM');
      assert.equal(await exit, 0);
      assert.match(lines.join('\n'), /SIGTERM: shutting down/);
      const store = await createStore({
        kind: 'sqlite',
        file: path.join(root, 'serve-data', 'portcullis.db'),
      });
      assert.ok(
        await store.servers.find('acme', 'everything'),
        'the --config file was applied at start',
      );
      await store.close();
    });
  });

  describe('the binary', () => {
    const run = promisify(execFile);

    it('bin/portcullis.js runs the CLI', async () => {
      const { stdout } = await run(process.execPath, [
        path.join(repoRoot, 'bin/portcullis.js'),
        '--help',
      ]);
      assert.match(stdout, /^Usage: portcullis <command>/);
    });

    it('src/cli/main.ts sets the exit code', async () => {
      await assert.rejects(
        run(process.execPath, [path.join(repoRoot, 'src/cli/main.ts'), 'nope']),
        (error: { code: number; stderr: string }) => {
          assert.equal(error.code, 2);
          assert.match(error.stderr, /unknown command "nope"/);
          return true;
        },
      );
    });
  });
});
