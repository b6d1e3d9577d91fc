/**
 * Throughput of one, two and three gateway instances behind nginx
 * (deploy/nginx.conf), on PostgreSQL and Redis, as the scale-out test deploys
 * them (test/support/cluster.ts). One 2025-era session is opened through the
 * load balancer, then autocannon sends `tools/call` of the cheap upstream's
 * echo tool over keep-alive connections for a few seconds; round-robin spreads
 * the calls over every instance (the session id is a sealed token any instance
 * opens). One instance is also measured without nginx, to show what the
 * balancer itself costs. Each row also gives the CPU all gateway instances
 * used per call: flat across rows means the work spreads without overhead,
 * whatever the cores of this machine allow.
 *
 *   node bench/cluster.ts [--duration S] [--warmup S] [--connections N] [--max-instances N]
 *
 * Prints a markdown table on stdout. Every process is started and stopped
 * here; the figures depend on how many cores the machine has (see
 * docs/deploy.md, "What is measured").
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { startCluster } from '../test/support/cluster.ts';
import { INITIALIZE_BODY, INITIALIZED_BODY, TOOLS_CALL_BODY } from './mcp-session.ts';
import { readProcessCpuMs } from './process-cpu.ts';
import { percentile } from './stats.ts';

interface Row {
  target: string;
  instances: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** CPU of every gateway instance over the row, per successful call. */
  cpuUsPerCall: number;
}

const POST = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function startUpstream(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'cheap-upstream.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`cheap upstream exited with ${code}`)));
    child.stdout.setEncoding('utf8').once('data', (line: string) => {
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** initialize + initialized through `endpoint`; the session headers for the calls. */
async function openSession(endpoint: string, apiKey: string): Promise<Record<string, string>> {
  const auth = { ...POST, authorization: `Bearer ${apiKey}` };
  const init = await fetch(endpoint, { method: 'POST', headers: auth, body: INITIALIZE_BODY });
  await init.text();
  const session = init.headers.get('mcp-session-id');
  if (init.status !== 200 || session === null) throw new Error(`initialize: ${init.status}`);
  const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  const initialized = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: INITIALIZED_BODY,
  });
  await initialized.text();
  return headers;
}

/** CPU milliseconds used so far by all of `pids`. */
function cpuMs(pids: readonly (number | undefined)[]): number {
  return pids.reduce((sum: number, pid) => sum + (readProcessCpuMs(pid) ?? Number.NaN), 0);
}

async function measure(
  endpoint: string,
  headers: Record<string, string>,
  options: { connections: number; duration: number },
  pids: readonly (number | undefined)[],
): Promise<Omit<Row, 'target' | 'instances'>> {
  const latencies: number[] = [];
  const cpuBefore = cpuMs(pids);
  const started = performance.now();
  const result = await new Promise<Result>((resolve, reject) => {
    const run = autocannon(
      { url: endpoint, method: 'POST', headers, body: TOOLS_CALL_BODY, ...options },
      (error, res) => (error === null ? resolve(res) : reject(error)),
    );
    run.on('response', (_client, status, _bytes, time) => {
      if (status >= 200 && status < 300) latencies.push(time);
    });
  });
  const elapsedS = (performance.now() - started) / 1000;
  const cpuUsed = cpuMs(pids) - cpuBefore;
  return {
    cpuUsPerCall: (cpuUsed * 1000) / latencies.length,
    rate: latencies.length / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '32' },
      'max-instances': { type: 'string', default: '3' },
    },
  });
  const options = { duration: Number(values.duration), connections: Number(values.connections) };
  const maxInstances = Number(values['max-instances']);
  const warmup = { ...options, duration: Number(values.warmup) };
  const upstream = await startUpstream();
  const rows: Row[] = [];
  try {
    for (let instances = 1; instances <= maxInstances; instances += 1) {
      console.error(`starting ${instances} instance(s)`);
      const cluster = await startCluster({
        instances,
        servers: [{ id: 'echo', url: upstream.url }],
        // Records on, as deployed; logs quiet.
        env: { PORTCULLIS_LOG_LEVEL: 'error' },
      });
      try {
        const pids = cluster.instances.map((instance) => instance.pid);
        // Every instance warms up (JIT, pools) through nginx before any row is measured.
        const endpoint = cluster.endpoint('echo');
        const headers = await openSession(endpoint, cluster.apiKey);
        await measure(endpoint, headers, warmup, pids);
        if (instances === 1) {
          const direct = `${cluster.instances[0]!.url}/acme/echo/mcp`;
          const directHeaders = await openSession(direct, cluster.apiKey);
          rows.push({
            target: 'one instance, no nginx',
            instances,
            ...(await measure(direct, directHeaders, options, pids)),
          });
        }
        rows.push({
          target: 'nginx',
          instances,
          ...(await measure(endpoint, headers, options, pids)),
        });
      } finally {
        await cluster.close();
      }
    }
  } finally {
    upstream.stop();
  }
  const cpus = os.cpus();
  console.log(
    `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}; ${options.connections} connections, ${options.duration} s per row; load generator, upstream, nginx, PostgreSQL and Redis on the same machine.\n`,
  );
  console.log(
    '| target | instances | calls/s | p50 ms | p99 ms | gateway CPU µs/call | failures |',
  );
  console.log(
    '| ------ | --------: | ------: | -----: | -----: | ------------------: | -------: |',
  );
  for (const row of rows)
    console.log(
      `| ${row.target} | ${row.instances} | ${Math.round(row.rate)} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ${Math.round(row.cpuUsPerCall)} | ${row.failures} |`,
    );
}

await main();
