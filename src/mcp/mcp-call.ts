/**
 * What one HTTP exchange on `/<workspace>/<server>/mcp` carries through the
 * mcp layer, and the long-lived parts it uses.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '../auth/resource/principal.ts';
import type { PendingClientRequests } from '../session/client-requests.ts';
import type { LegacySessions } from '../session/legacy-session.ts';
import type { UpstreamSessionPool } from '../session/upstream-sessions.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { EraCache } from '../upstream/era-cache.ts';
import type { EraBridge } from './bridge/era-bridge.ts';
import type { StreamHub } from './legacy/stream-hub.ts';

export interface McpCall {
  readonly server: ServerDefinition;
  /** `<workspace>/<server>`, for logs and pool keys. */
  readonly serverKey: string;
  readonly upstream: Upstream;
  readonly principal: Principal;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The wide record of this message, filled along the way and emitted once by the endpoint. */
  readonly record: RequestRecord;
  /** Aborted when the downstream client goes away. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

export interface McpDeps {
  readonly sessions: LegacySessions;
  readonly upstreamSessions: UpstreamSessionPool;
  readonly pendingClientRequests: PendingClientRequests;
  readonly streamHub: StreamHub;
  readonly eraCache: EraCache;
  readonly bridge: EraBridge;
  readonly log: Logger;
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
