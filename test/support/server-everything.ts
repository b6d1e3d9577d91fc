/**
 * The published `@modelcontextprotocol/server-everything` in its Streamable
 * HTTP mode, started as a child process for system tests.
 */
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port.ts';

const EVERYTHING_BIN = realpathSync(
  path.resolve(import.meta.dirname, '../../node_modules/.bin/mcp-server-everything'),
);

export interface RunningEverything {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `mcp-server-everything streamableHttp`. It takes its port from the
 * PORT environment variable only, listens on all interfaces, and says so on
 * stderr; it logs every request on stdout, which is discarded.
 */
export async function startEverything(port?: number): Promise<RunningEverything> {
  port ??= await freePort();
  const child = spawn(process.execPath, [EVERYTHING_BIN, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`server-everything did not start: ${stderr}`)),
      10_000,
    );
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`listening on port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited with ${code}: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
