/**
 * A throwaway redis-server for tests: a free loopback port, no persistence,
 * killed on close. Needs Debian's redis-server (CI installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { freePort } from './free-port.ts';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Freezes the server (SIGSTOP) until resume(): a Redis that accepts nothing and answers nothing. */
  pause(): void;
  resume(): void;
  /** Stops the server (SIGKILL), as a crashed or unreachable Redis. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

const REDIS_SERVER = 'redis-server';

/** Why Redis tests cannot run here, or undefined when they can. */
export function redisUnavailableReason(): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0)
    return 'redis-server not found (install the Debian package: apt-get install -y redis-server)';
  return undefined;
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  spawnError: () => Error | undefined,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const failed = spawnError();
    if (failed !== undefined) throw failed;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        socket.once('data', (data) => resolve(data.toString().startsWith('+PONG')));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not start in time');
}

/** `port`: start on a given port (a Redis restarted where the previous one was). */
export async function startTestRedis(options: { port?: number } = {}): Promise<TestRedis> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  try {
    await waitForPort(port, child, () => spawnError, Date.now() + 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`could not start a test redis-server: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill,
    close: kill,
  };
}
