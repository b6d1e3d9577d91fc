/**
 * Starts the real gateway the way a user does (`node src/cli/main.ts serve`) in a
 * child process, optionally pinned to a CPU, configured by a declarative file that
 * registers the cheap upstream as server `bench/echo` and an API key for it. Waits
 * until /readyz answers 200.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { CpuPinning } from './cpu-pinning.ts';
import { stopChild, type ServerProcess } from './server-process.ts';

export interface GatewayProcess extends ServerProcess {
  /** `http://host:port`, for the MCP paths of other servers of the config. */
  readonly origin: string;
  /** Headers every MCP request to the gateway needs (the API key). */
  readonly headers: Readonly<Record<string, string>>;
  /** The tail of the gateway's stdout and stderr. */
  recentOutput(): string;
}

/** A stdio server the gateway runs itself, instead of an HTTP upstream. */
export interface StdioCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface GatewayProcessOptions {
  /** MCP endpoint of the upstream the gateway fronts, or the stdio server it runs. */
  readonly upstream: string | StdioCommand;
  readonly pinning: CpuPinning;
  readonly cpu: number | undefined;
  /** CLI entry point, run as `node <entry> serve`; default src/cli/main.ts (a build also works). */
  readonly entry?: string;
  readonly startTimeoutMs?: number;
  /** The declarative config instead of the default one (server `bench/echo`); `upstream` is then unused. */
  readonly config?: string;
  /** `PORTCULLIS_*` settings on top of the bench's own (e.g. `PORTCULLIS_RECORDS: 'false'`). */
  readonly env?: Readonly<Record<string, string>>;
}

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const DEFAULT_ENTRY = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
const OUTPUT_TAIL_CHARS = 16_000;

export const GATEWAY_MCP_PATH = '/bench/echo/mcp';

function serverYaml(upstream: string | StdioCommand): string[] {
  if (typeof upstream === 'string') return ['        transport: http', `        url: ${upstream}`];
  // JSON is valid YAML: the command and arguments are quoted whatever they contain.
  return [
    '        transport: stdio',
    `        command: ${JSON.stringify(upstream.command)}`,
    `        args: ${JSON.stringify(upstream.args)}`,
  ];
}

/** The API key line every bench config ends with; the key reaches every server of the workspace. */
export const BENCH_API_KEY_YAML = [
  'api_keys:',
  '  - { name: bench, user: bench@example.test, workspace: bench, key_env: BENCH_API_KEY }',
  '',
];

function benchConfigYaml(upstream: string | StdioCommand): string {
  return [
    'users:',
    '  - email: bench@example.test',
    'workspaces:',
    '  - id: bench',
    '    name: Bench',
    '    members:',
    '      - { email: bench@example.test, role: owner }',
    '    servers:',
    '      - id: echo',
    ...serverYaml(upstream),
    ...BENCH_API_KEY_YAML,
  ].join('\n');
}

export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The caller's environment without any PORTCULLIS_* setting that could skew the run. */
function cleanEnvironment(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_')) env[name] = value;
  }
  return env;
}

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const entry = path.resolve(options.entry ?? DEFAULT_ENTRY);
  if (!existsSync(entry)) {
    throw new Error(
      `gateway CLI not found at ${entry}; measure without it with --only direct,blind`,
    );
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-bench-'));
  const configFile = path.join(dataDir, 'bench.yaml');
  await writeFile(configFile, options.config ?? benchConfigYaml(options.upstream));
  const port = await findFreePort();
  const apiKey = `pcb_${randomBytes(32).toString('base64url')}`;
  const env = {
    ...cleanEnvironment(),
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_CONFIG: configFile,
    PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64'),
    PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8',
    PORTCULLIS_LOG_LEVEL: 'warn',
    ...options.env,
    BENCH_API_KEY: apiKey,
  };

  const [file, args] = options.pinning.wrap(options.cpu, process.execPath, [entry, 'serve']);
  const child = spawn(file, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const close = async (): Promise<void> => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await close();
      throw new Error(`gateway exited during start-up; its output:\n${output}`);
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`gateway was not ready within the start timeout; its output:\n${output}`);
    }
    try {
      const res = await request(`${base}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }

  return {
    url: `${base}${GATEWAY_MCP_PATH}`,
    origin: base,
    pid: child.pid,
    headers: { authorization: `Bearer ${apiKey}` },
    recentOutput: () => output,
    close,
  };
}
