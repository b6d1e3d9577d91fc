/**
 * The gateways of the feature scenarios, in front of the shared cheap upstream:
 *
 *   policy:  load ──▶ gateway (server CPU) ─┬─ /bench/echo/mcp   (no policy)   ─▶ upstream
 *                                           └─ /bench/policy/mcp (50 rules)    ─▶ upstream
 *   capture: load ──▶ gateway, records off          (server CPU) ──▶ upstream
 *            load ──▶ gateway, capture: full        (server CPU) ──▶ upstream
 *
 * The policy targets share one process, so they differ only in the policy; the
 * capture targets are two processes because records are switched per process.
 */
import type { BenchTarget } from './bench-target.ts';
import type { CpuPinning } from './cpu-pinning.ts';
import {
  captureBenchConfig,
  NO_POLICY_SERVER_ID,
  POLICY_SERVER_ID,
  policyBenchConfig,
} from './feature-configs.ts';
import { GATEWAY_MCP_PATH, startGatewayProcess, type GatewayProcess } from './gateway-process.ts';
import type { ServerProcess } from './server-process.ts';

export interface FeatureUpstream {
  readonly url: string;
  readonly statsUrl: string;
  readonly loadSidePids: readonly number[];
}

export interface FeatureTargetsOptions {
  readonly policy: boolean;
  readonly capture: boolean;
  readonly upstream: FeatureUpstream;
  readonly pinning: CpuPinning;
  readonly gatewayEntry: string | undefined;
  /** Every process started is added here as soon as it runs, so the caller can stop it. */
  readonly started: ServerProcess[];
}

function targetOf(
  name: BenchTarget['name'],
  gateway: GatewayProcess,
  path: string,
  upstream: FeatureUpstream,
): BenchTarget {
  return {
    name,
    url: `${gateway.origin}${path}`,
    headers: gateway.headers,
    pid: gateway.pid,
    loadSidePids: upstream.loadSidePids,
    upstreamStatsUrl: upstream.statsUrl,
    recentOutput: () => gateway.recentOutput(),
  };
}

export async function startFeatureTargets(options: FeatureTargetsOptions): Promise<BenchTarget[]> {
  const { upstream, pinning } = options;
  const start = async (config: string, env?: Record<string, string>): Promise<GatewayProcess> => {
    const gateway = await startGatewayProcess({
      upstream: upstream.url,
      config,
      ...(env === undefined ? {} : { env }),
      entry: options.gatewayEntry,
      pinning,
      cpu: pinning.serverCpu,
    });
    options.started.push(gateway);
    return gateway;
  };
  const targets: BenchTarget[] = [];
  if (options.policy) {
    const gateway = await start(policyBenchConfig(upstream.url));
    targets.push(
      targetOf('no-policy', gateway, `/bench/${NO_POLICY_SERVER_ID}/mcp`, upstream),
      targetOf('policy', gateway, `/bench/${POLICY_SERVER_ID}/mcp`, upstream),
    );
  }
  if (options.capture) {
    const config = captureBenchConfig(upstream.url);
    const off = await start(config, { PORTCULLIS_RECORDS: 'false' });
    const full = await start(config);
    targets.push(
      targetOf('records-off', off, GATEWAY_MCP_PATH, upstream),
      targetOf('capture-full', full, GATEWAY_MCP_PATH, upstream),
    );
  }
  return targets;
}
