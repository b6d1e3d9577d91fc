import type { McpEndpoint } from './mcp-session.ts';

export const TARGET_NAMES = ['direct', 'blind', 'gateway'] as const;

/** The stdio scenario's targets: the same stdio server behind the gateway and behind supergateway. */
export const STDIO_TARGET_NAMES = ['gateway-stdio', 'supergateway'] as const;

/** The policy scenario's targets: two servers of one gateway, without and with a 50-rule policy. */
export const POLICY_TARGET_NAMES = ['no-policy', 'policy'] as const;

/** The capture scenario's targets: two gateways, records off and records on with `capture: full`. */
export const CAPTURE_TARGET_NAMES = ['records-off', 'capture-full'] as const;

export type TargetName =
  | (typeof TARGET_NAMES)[number]
  | (typeof STDIO_TARGET_NAMES)[number]
  | (typeof POLICY_TARGET_NAMES)[number]
  | (typeof CAPTURE_TARGET_NAMES)[number];

/** One way to reach the echo tool: the upstream itself, the blind proxy, or the gateway. */
export interface BenchTarget extends McpEndpoint {
  readonly name: TargetName;
  /** Process that serves this target, for CPU accounting. */
  readonly pid: number | undefined;
  /** Processes besides the load generator on the load CPU (the upstream behind a proxy). */
  readonly loadSidePids: readonly number[];
  /** Counters of the upstream instance this target reaches (see cheap-upstream.ts); none over stdio. */
  readonly upstreamStatsUrl?: string;
  /** What the serving process printed lately, shown when the target misbehaves. */
  readonly recentOutput?: () => string;
}
