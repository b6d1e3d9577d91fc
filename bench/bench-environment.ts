/**
 * Starts the processes a run needs and describes the targets they form:
 *
 *   direct:  load ──▶ cheap upstream (its own instance, on the server CPU)
 *   blind:   load ──▶ blind proxy (server CPU) ──▶ cheap upstream (upstream CPU)
 *   gateway: load ──▶ gateway     (server CPU) ──▶ cheap upstream (upstream CPU)
 *
 * Whatever is measured always runs alone on the server CPU, so "direct" is the
 * upstream's own ceiling. The upstream CPU is a third CPU when there is one, else
 * the load generator's. The feature scenarios (policy, capture) add their own
 * gateways in front of the same upstream (feature-targets.ts).
 */
import path from 'node:path';
import type { BenchTarget, TargetName } from './bench-target.ts';
import type { CpuPinning } from './cpu-pinning.ts';
import { STATS_PATH } from './cheap-upstream.ts';
import { startFeatureTargets } from './feature-targets.ts';
import { startGatewayProcess } from './gateway-process.ts';
import type { ScenarioName } from './sample.ts';
import { spawnServerProcess, type ServerProcess } from './server-process.ts';

export interface BenchEnvironment {
  readonly targets: readonly BenchTarget[];
  /** Every process started, for telling the benchmark's CPU use from other load. */
  readonly pids: readonly number[];
  close(): Promise<void>;
}

const UPSTREAM_SCRIPT = path.join(import.meta.dirname, 'cheap-upstream.ts');
const BLIND_PROXY_SCRIPT = path.join(import.meta.dirname, 'blind-proxy.ts');

/** The main targets serve the original scenarios; the feature scenarios bring their own. */
const MAIN_SCENARIOS: readonly ScenarioName[] = ['throughput', 'latency', 'claude'];

export async function startBenchEnvironment(
  targetNames: readonly TargetName[],
  pinning: CpuPinning,
  gatewayEntry?: string,
  scenarios: readonly ScenarioName[] = MAIN_SCENARIOS,
): Promise<BenchEnvironment> {
  const wanted = scenarios.some((scenario) => MAIN_SCENARIOS.includes(scenario)) ? targetNames : [];
  const features = {
    policy: scenarios.includes('policy'),
    capture: scenarios.includes('capture'),
  };
  const started: ServerProcess[] = [];
  const targets: BenchTarget[] = [];
  const close = async (): Promise<void> => {
    // Front processes first, so nothing is still forwarding when the upstream goes.
    for (const server of [...started].reverse()) await server.close();
  };
  const environment = (): BenchEnvironment => ({
    targets,
    pids: started.flatMap((server) => (server.pid === undefined ? [] : [server.pid])),
    close,
  });

  try {
    if (wanted.includes('direct')) {
      const direct = await spawnServerProcess({
        name: 'cheap upstream (direct)',
        script: UPSTREAM_SCRIPT,
        pinning,
        cpu: pinning.serverCpu,
      });
      started.push(direct);
      targets.push({
        name: 'direct',
        url: direct.url,
        headers: {},
        pid: direct.pid,
        loadSidePids: [],
        upstreamStatsUrl: new URL(STATS_PATH, direct.url).href,
      });
    }
    if (
      !wanted.includes('blind') &&
      !wanted.includes('gateway') &&
      !features.policy &&
      !features.capture
    )
      return environment();

    const upstream = await spawnServerProcess({
      name: 'cheap upstream',
      script: UPSTREAM_SCRIPT,
      pinning,
      cpu: pinning.upstreamCpu,
    });
    started.push(upstream);
    const upstreamUrl = new URL(upstream.url);
    const upstreamStatsUrl = new URL(STATS_PATH, upstreamUrl).href;
    // The upstream counts as load side only where it shares the load generator's CPU.
    const loadSidePids =
      upstream.pid !== undefined && pinning.upstreamCpu === pinning.loadCpu ? [upstream.pid] : [];

    if (wanted.includes('blind')) {
      const blind = await spawnServerProcess({
        name: 'blind proxy',
        script: BLIND_PROXY_SCRIPT,
        args: ['--upstream', upstreamUrl.origin],
        pinning,
        cpu: pinning.serverCpu,
      });
      started.push(blind);
      targets.push({
        name: 'blind',
        url: `${blind.url}${upstreamUrl.pathname}`,
        headers: {},
        pid: blind.pid,
        loadSidePids,
        upstreamStatsUrl,
      });
    }
    if (wanted.includes('gateway')) {
      const gateway = await startGatewayProcess({
        upstream: upstream.url,
        entry: gatewayEntry,
        pinning,
        cpu: pinning.serverCpu,
      });
      started.push(gateway);
      targets.push({
        name: 'gateway',
        url: gateway.url,
        headers: gateway.headers,
        pid: gateway.pid,
        loadSidePids,
        upstreamStatsUrl,
        recentOutput: () => gateway.recentOutput(),
      });
    }
    if (features.policy || features.capture) {
      const featureTargets = await startFeatureTargets({
        ...features,
        upstream: { url: upstream.url, statsUrl: upstreamStatsUrl, loadSidePids },
        pinning,
        gatewayEntry,
        started,
      });
      targets.push(...featureTargets);
    }
    return environment();
  } catch (error) {
    await close();
    throw error;
  }
}
