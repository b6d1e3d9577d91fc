/**
 * A scale-out deployment for system tests: a throwaway PostgreSQL and Redis,
 * N gateway processes (`portcullis serve`) sharing the database, Redis, the
 * secret key, the public URL and one config file, and nginx in front of them
 * running deploy/nginx.conf (round-robin, no stickiness). Everything started
 * here is stopped by close(), and killed if the test process exits first.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { startNginx } from './cluster-nginx.ts';
import type { AccessLogEntry } from './cluster-nginx.ts';
import { findExecutable, hasExited, spawnLogged, stopChild } from './cluster-processes.ts';
import type { LoggedChild } from './cluster-processes.ts';
import { freePort } from './free-port.ts';
import type { TestServer, TestUser } from './gateway.ts';
import { postgresUnavailableReason, startPostgres } from './postgres.ts';
import { startTestRedis } from './redis.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface ClusterInstance {
  index: number;
  /** The instance's own address (host:port), as nginx's access log names it. */
  address: string;
  url: string;
  /** The running process's id (changes on restart). */
  readonly pid: number | undefined;
  /** Everything the process wrote (last 64 KB), for diagnostics. */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the exited process again on the same port and data directory; resolves when ready. */
  restart(): Promise<void>;
  readonly exited: boolean;
}

export type { AccessLogEntry } from './cluster-nginx.ts';
export { nginxTemplate, renderNginxSite } from './cluster-nginx.ts';

export interface RunningCluster {
  /** The load balancer's URL, which is every instance's PORTCULLIS_PUBLIC_URL. */
  url: string;
  apiKey: string;
  workspace: string;
  endpoint(serverId: string, workspace?: string): string;
  instances: ClusterInstance[];
  databaseUrl: string;
  redisUrl: string;
  /** nginx's access log so far, oldest first. */
  accessLog(): Promise<AccessLogEntry[]>;
  /** A store on the cluster's database (the caller closes it). */
  openStore(): Promise<Store>;
  /**
   * Runs `portcullis apply -f` in its own process, with the instances'
   * database, Redis and secrets, on the cluster's config with `change` in
   * place of its servers or limits.
   */
  apply(change: Pick<ClusterOptions, 'servers' | 'limits'>): Promise<CliRun>;
  close(): Promise<void>;
}

/** A declared server, with its declarative `policy` when it has one. */
export type ClusterServer = TestServer & { policy?: Record<string, unknown> };

export interface CliRun {
  code: number | null;
  output: string;
  /** When the command printed that the store holds the change (performance.now()). */
  appliedAt: number | undefined;
}

export interface ClusterOptions {
  servers: ClusterServer[];
  /** Gateway processes behind nginx; default 3. */
  instances?: number;
  users?: TestUser[];
  workspace?: string;
  /** The declarative `limits:` of the test workspace. */
  limits?: Record<string, unknown>[];
  /** More environment for every instance. */
  env?: Record<string, string>;
}

/** Why the cluster cannot start here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  if (findExecutable('redis-server') === undefined)
    return 'redis-server not found (install the Debian package: apt-get install -y redis-server)';
  if (findExecutable('nginx') === undefined)
    return 'nginx not found (install the Debian package: apt-get install -y nginx-light)';
  return postgresUnavailableReason();
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: LoggedChild,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited(child)) throw new Error(`${what} exited early:\n${child.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready in time:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ready(url: string): Promise<boolean> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await answer.body?.cancel();
  return answer.status === 200;
}

function configFile(options: ClusterOptions, workspace: string) {
  const users = options.users ?? [];
  const passwords: Record<string, string> = {};
  users.forEach((user, index) => {
    if (user.password !== undefined) passwords[`TEST_USER_PASSWORD_${index}`] = user.password;
  });
  const text = stringify({
    users: [
      { email: 'admin@acme.test' },
      ...users.map((user, index) => ({
        email: user.email,
        ...(user.password === undefined ? {} : { password_env: `TEST_USER_PASSWORD_${index}` }),
        ...(user.admin === undefined ? {} : { admin: user.admin }),
      })),
    ],
    workspaces: [
      {
        id: workspace,
        name: workspace,
        members: [
          { email: 'admin@acme.test', role: 'owner' },
          ...users.flatMap((user) =>
            user.role === undefined
              ? []
              : [
                  {
                    email: user.email,
                    role: user.role,
                    ...(user.servers === undefined ? {} : { servers: user.servers }),
                  },
                ],
          ),
        ],
        servers: options.servers.map((server) => ({ transport: 'http', ...server })),
        ...(options.limits === undefined ? {} : { limits: options.limits }),
      },
    ],
    api_keys: [{ name: 'test', user: 'admin@acme.test', workspace, key_env: 'TEST_API_KEY' }],
  });
  return { text, passwords };
}

/** Runs the CLI with `env`; notes when it reports the change applied. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], { env });
    let output = '';
    let appliedAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (appliedAt === undefined && output.includes('Applied ')) appliedAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output, appliedAt }));
  });
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const count = options.instances ?? 3;
  const workspace = options.workspace ?? 'acme';
  const root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-cluster-'));
  const cleanups: Array<() => Promise<void>> = [];
  const children: LoggedChild[] = [];
  const killAll = () => {
    for (const child of children) child.process.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    process.removeListener('exit', killAll);
    await rm(root, { recursive: true, force: true });
  };

  try {
    const postgres = await startPostgres();
    cleanups.push(() => postgres.stop());
    const redis = await startTestRedis();
    cleanups.push(() => redis.close());

    const lbPort = await freePort();
    const url = `http://127.0.0.1:${lbPort}`;
    const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
    const config = configFile(options, workspace);
    const configPath = path.join(root, 'portcullis.yaml');
    await writeFile(configPath, config.text);
    const sharedEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      PORTCULLIS_HOST: '127.0.0.1',
      PORTCULLIS_PUBLIC_URL: url,
      PORTCULLIS_TRUST_PROXY: 'true',
      PORTCULLIS_DATABASE_URL: postgres.url,
      PORTCULLIS_REDIS_URL: redis.url,
      PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
      PORTCULLIS_CONFIG: configPath,
      PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
      PORTCULLIS_LOG_LEVEL: process.env.PORTCULLIS_TEST_LOG_LEVEL ?? 'warn',
      TEST_API_KEY: apiKey,
      ...config.passwords,
      ...options.env,
    };

    const instances: ClusterInstance[] = [];
    const startInstance = async (index: number) => {
      const port = await freePort();
      const dataDir = path.join(root, `instance-${index}`);
      await mkdir(dataDir);
      const address = `127.0.0.1:${port}`;
      let child!: LoggedChild;
      const spawnInstance = async () => {
        child = spawnLogged(process.execPath, [cliMain, 'serve'], {
          ...sharedEnv,
          PORTCULLIS_PORT: String(port),
          PORTCULLIS_DATA_DIR: dataDir,
        });
        children.push(child);
        const started = child;
        cleanups.push(() => stopChild(started, 'SIGTERM'));
        await waitFor(`instance ${index}`, () => ready(`http://${address}/readyz`), child);
      };
      instances[index] = {
        index,
        address,
        url: `http://${address}`,
        get pid() {
          return child.process.pid;
        },
        output: () => child.output(),
        kill: (signal) => stopChild(child, signal),
        restart: async () => {
          if (!hasExited(child)) throw new Error(`instance ${index} is still running`);
          await spawnInstance();
        },
        get exited() {
          return hasExited(child);
        },
      };
      await spawnInstance();
    };
    // The first instance migrates the database and applies the config; the
    // others then start side by side, as in a rolling deployment.
    await startInstance(0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => startInstance(i + 1)));

    const nginx = await startNginx(path.join(root, 'nginx'), {
      listen: `127.0.0.1:${lbPort}`,
      instances: instances.map((instance) => instance.address),
    });
    children.push(nginx.child);
    cleanups.push(() => nginx.stop());
    await waitFor('nginx', () => ready(`${url}/healthz`), nginx.child);

    return {
      url,
      apiKey,
      workspace,
      endpoint: (serverId, ws = workspace) => `${url}/${ws}/${serverId}/mcp`,
      instances,
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      accessLog: () => nginx.accessLog(),
      openStore: () => createStore({ kind: 'postgres', url: postgres.url, poolSize: 2 }),
      async apply(change) {
        const changed = configFile({ ...options, ...change }, workspace);
        const file = path.join(root, `apply-${crypto.randomUUID()}.yaml`);
        await writeFile(file, changed.text);
        const dataDir = path.join(root, 'cli');
        await mkdir(dataDir, { recursive: true });
        return runCli(['apply', '-f', file], { ...sharedEnv, PORTCULLIS_DATA_DIR: dataDir });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
