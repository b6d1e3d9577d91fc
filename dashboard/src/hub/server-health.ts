/**
 * How the hub words a server's health: from the last day's request records
 * (GET …/analytics/health: the share of requests the upstream did not fail)
 * and, for stdio servers, the process on the instance that answered.
 */
import type { ServerHealth, ServerStatus } from './api-types.ts';

export type { ServerHealth, ServerStatus };
export type ProcessState = NonNullable<ServerStatus['process']>;

export type Tone = 'ok' | 'warn' | 'error' | 'neutral';

export interface Look {
  label: string;
  tone: Tone;
  /** A sentence saying why (for a title or a facts list). */
  detail: string;
}

/** Below this share of requests served, a server is failing; below HEALTHY, degraded. */
export const FAILING = 0.9;
export const HEALTHY = 0.99;

export function healthLook(health: ServerHealth | undefined): Look {
  if (health === undefined || health.requests === 0 || health.uptimeRatio === null)
    return { label: 'No traffic', tone: 'neutral', detail: 'No request in the last 24 hours.' };
  const share = health.uptimeRatio;
  const detail = `${formatShare(share)} of ${health.requests} request${health.requests === 1 ? '' : 's'} in the last 24 hours reached the upstream (${health.upstreamFailures} upstream failure${health.upstreamFailures === 1 ? '' : 's'}, ${health.errors} error${health.errors === 1 ? '' : 's'} in all).`;
  if (share < FAILING) return { label: 'Failing', tone: 'error', detail };
  if (share < HEALTHY) return { label: 'Degraded', tone: 'warn', detail };
  return { label: 'Healthy', tone: 'ok', detail };
}

export function processLook(state: ProcessState): Look {
  if (state.state === 'running')
    return {
      label: 'Running',
      tone: 'ok',
      detail: `Process ${state.pid ?? '?'} runs on this gateway instance.`,
    };
  if (state.state === 'backing_off')
    return {
      label: 'Crashing',
      tone: 'error',
      detail: `It exited ${state.restarts} time${state.restarts === 1 ? '' : 's'}; the next start waits ${Math.ceil(state.backoff_ms / 1000)} s.${state.last_error === null ? '' : ` Last error: ${state.last_error}`}`,
    };
  return {
    label: 'Idle',
    tone: 'neutral',
    detail: 'No process now; the next call starts one.',
  };
}

/** The process badge of a stdio server, when there is something to say. */
export function statusLook(status: ServerStatus | undefined): Look | undefined {
  if (status === undefined || status.transport !== 'stdio') return undefined;
  if (status.process !== null) return processLook(status.process);
  const members = status.member_processes;
  if (members !== undefined) {
    const running = members.filter((entry) => entry.state === 'running').length;
    const crashing = members.filter((entry) => entry.state === 'backing_off').length;
    return {
      label: `${running} running`,
      tone: crashing > 0 ? 'error' : running > 0 ? 'ok' : 'neutral',
      detail: `One process per member: ${running} running, ${crashing} crashing on this instance.`,
    };
  }
  return {
    label: 'Not started',
    tone: 'neutral',
    detail: 'No call has started its process on this instance yet.',
  };
}

export function formatShare(share: number): string {
  const percent = share * 100;
  return `${percent === 100 || percent === 0 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}
