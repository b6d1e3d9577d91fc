/**
 * The stdio scenario's two targets, each in front of its own copy of
 * stdio-echo-server.ts: the gateway (`transport: stdio`, one shared process)
 * and supergateway (npm) in stateful Streamable HTTP mode, where the one
 * session the benchmark opens owns one child process. Both proxies run on the
 * server CPU and both echo servers on the upstream CPU.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { BenchTarget } from './bench-target.ts';
import type { CpuPinning } from './cpu-pinning.ts';
import { findFreePort, startGatewayProcess } from './gateway-process.ts';
import { stopChild } from './server-process.ts';

export interface StdioTargets {
  readonly targets: readonly BenchTarget[];
  readonly pids: readonly number[];
  close(): Promise<void>;
}

const ECHO_SERVER = path.join(import.meta.dirname, 'stdio-echo-server.ts');
const SUPERGATEWAY = fileURLToPath(import.meta.resolve('supergateway/dist/index.js'));
const OUTPUT_TAIL_CHARS = 16_000;

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

async function startSupergateway(
  pinning: CpuPinning,
  echo: string[],
): Promise<BenchTarget & { close(): Promise<void> }> {
  const port = await findFreePort();
  const [file, args] = pinning.wrap(pinning.serverCpu, process.execPath, [
    SUPERGATEWAY,
    '--stdio',
    echo.map(shellQuote).join(' '),
    '--outputTransport',
    'streamableHttp',
    '--stateful',
    '--port',
    String(port),
    '--healthEndpoint',
    '/healthz',
    '--logLevel',
    'none',
  ]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`supergateway did not start; its output:\n${output}`);
    }
    try {
      const res = await request(`${base}/healthz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return {
    name: 'supergateway',
    url: `${base}/mcp`,
    headers: {},
    pid: child.pid,
    loadSidePids: [],
    recentOutput: () => output,
    close: () => stopChild(child),
  };
}

export async function startStdioTargets(
  pinning: CpuPinning,
  gatewayEntry: string | undefined,
): Promise<StdioTargets> {
  const echo = pinning.wrap(pinning.upstreamCpu, process.execPath, [ECHO_SERVER]);
  const gateway = await startGatewayProcess({
    upstream: { command: echo[0], args: echo[1] },
    entry: gatewayEntry,
    pinning,
    cpu: pinning.serverCpu,
  });
  const supergateway = await startSupergateway(pinning, [echo[0], ...echo[1]]).catch(
    async (error: unknown) => {
      await gateway.close();
      throw error;
    },
  );
  const targets: BenchTarget[] = [
    {
      name: 'gateway-stdio',
      url: gateway.url,
      headers: gateway.headers,
      pid: gateway.pid,
      loadSidePids: [],
      recentOutput: () => gateway.recentOutput(),
    },
    supergateway,
  ];
  return {
    targets,
    pids: targets.flatMap((target) => (target.pid === undefined ? [] : [target.pid])),
    close: async () => {
      await Promise.all([gateway.close(), supergateway.close()]);
    },
  };
}
