/**
 * What one HTTP exchange on `/<workspace>/<server>/mcp` carries through the
 * mcp layer, and the long-lived parts it uses.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * The HTTP request of one exchange, as the mcp layer reads it: what a
 * Fastify request offers, and what the POST lane in front of Fastify
 * (ingress/mcp-post-lane.ts) builds for itself.
 */
export interface McpRequest {
  /** The request id, also the request record's id. */
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes (undefined when there is none). */
  readonly body: unknown;
  readonly params: { readonly workspaceId: string; readonly serverId: string };
  readonly raw: IncomingMessage;
}

/** The reply of one exchange: the subset of Fastify's reply the mcp layer uses. */
export interface McpReply {
  /** Set once the reply was sent or hijacked. */
  readonly sent: boolean;
  readonly raw: ServerResponse;
  code(status: number): McpReply;
  header(name: string, value: string): McpReply;
  headers(values: Record<string, string>): McpReply;
  type(contentType: string): McpReply;
  send(payload?: string): McpReply;
  /** The caller writes to `raw` itself (SSE streams). */
  hijack(): unknown;
}

export interface McpCall {
  readonly server: ServerDefinition;
  /** `<workspace>/<server>`, for logs and pool keys. */
  readonly serverKey: string;
  readonly upstream: Upstream;
  readonly principal: Principal;
  readonly request: McpRequest;
  readonly reply: McpReply;
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

export function header(request: McpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
