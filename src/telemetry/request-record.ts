/**
 * The request record: one wide record per MCP message that crosses the
 * gateway, filled along the flow and emitted once (HOUSE_STYLE rule 7).
 */

export type Era = 'legacy' | 'modern';
export type RecordStatus = 'ok' | 'error';

export interface RequestRecord {
  /** Random id, also the `x-request-id` of the HTTP exchange for single-message requests. */
  id: string;
  /** Start of handling. */
  time: Date;
  workspaceId: string;
  serverId: string;
  /** `api_key` now; `user` once OAuth sign-in exists. */
  principalKind: 'api_key' | 'user' | 'anonymous';
  principalId: string | null;
  apiKeyId: string | null;
  /** The OAuth client the access token was issued to (`Principal.clientId`); null for API keys. */
  clientId: string | null;
  /** `clientInfo.name`/`version` the client declared: legacy at `initialize`, modern in `_meta`. */
  clientName: string | null;
  clientVersion: string | null;
  /** JSON-RPC method, or `(response)` for a client's answer to a server request, or `GET`/`DELETE` for stream and session calls. */
  method: string;
  /** Tool, prompt or resource the message is about (`params.name` or `params.uri`). */
  target: string | null;
  era: Era;
  protocolVersion: string | null;
  /** The downstream session's random tag (legacy era): identifies the session in records without being its id. */
  sessionTag: string | null;
  /** Total time the gateway spent on the message, in milliseconds. */
  latencyMs: number;
  /** Time spent waiting on the upstream, in milliseconds; null when the upstream was not called. */
  upstreamLatencyMs: number | null;
  status: RecordStatus;
  httpStatus: number;
  /** JSON-RPC error code when the answer was an error, from the upstream or the gateway. */
  errorCode: number | null;
  /** Gateway error catalogue code, or a short upstream error message. */
  errorMessage: string | null;
  bytesIn: number;
  bytesOut: number;
  /** Captured request params (tools/call: its `arguments`), redacted JSON text; null unless the server's capture mode is `full`. */
  arguments: string | null;
  /** Captured `result` (or `error`) of the answer, redacted JSON text; null unless capture is `full`. */
  result: string | null;
  /** W3C trace id (32 hex) of the message's span when tracing is on. */
  traceId: string | null;
}
