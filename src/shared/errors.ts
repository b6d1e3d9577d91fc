/**
 * One error taxonomy for the whole gateway (HOUSE_STYLE rule 5).
 *
 * Handlers throw a GatewayError naming a catalogue code; each wire format has
 * one translator (HTTP JSON in ingress, JSON-RPC in mcp) that turns it into a
 * response. Nothing else formats error bodies.
 */

/** JSON-RPC 2.0 and MCP error codes (MCP 2026-07-28 basic/index "Error Codes"). */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined range (-32000..-32019): gateway-side failures. */
  UpstreamError: -32001,
  UpstreamTimeout: -32002,
  Unauthorized: -32003,
  RequestTimeout: -32004,
  RateLimited: -32005,
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
  /** MCP 2025-11-25: the request needs the user to visit a URL first (`data.elicitations`). */
  UrlElicitationRequired: -32042,
} as const;

export interface ErrorSpec {
  /** HTTP status when the error ends an HTTP exchange. */
  readonly status: number;
  /** JSON-RPC error code when the error answers a JSON-RPC request. */
  readonly rpc: number;
  /** Whether retrying the same request later may succeed. */
  readonly retryable: boolean;
  readonly title: string;
}

/** The catalogue of stable error codes. docs/errors.md is generated from it. */
export const errorCatalogue = {
  bad_request: {
    status: 400,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The request is malformed.',
  },
  parse_error: {
    status: 400,
    rpc: JsonRpcCode.ParseError,
    retryable: false,
    title: 'The body is not valid JSON.',
  },
  invalid_message: {
    status: 400,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The body is not a valid JSON-RPC 2.0 message.',
  },
  batch_not_allowed: {
    status: 400,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'JSON-RPC batches are only allowed for protocol version 2025-03-26.',
  },
  invalid_params: {
    status: 400,
    rpc: JsonRpcCode.InvalidParams,
    retryable: false,
    title: 'The request parameters are invalid.',
  },
  unsupported_media_type: {
    status: 415,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'Content-Type must be application/json.',
  },
  not_acceptable: {
    status: 406,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'Accept must list application/json and text/event-stream.',
  },
  payload_too_large: {
    status: 413,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The request body is larger than the configured limit.',
  },
  header_mismatch: {
    status: 400,
    rpc: JsonRpcCode.HeaderMismatch,
    retryable: false,
    title: 'A standard MCP header does not match the request body.',
  },
  unsupported_protocol_version: {
    status: 400,
    rpc: JsonRpcCode.UnsupportedProtocolVersion,
    retryable: false,
    title: 'The protocol version is not supported.',
  },
  missing_client_capability: {
    status: 400,
    rpc: JsonRpcCode.MissingRequiredClientCapability,
    retryable: false,
    title: 'The client did not declare a capability this request needs.',
  },
  method_not_found: {
    status: 404,
    rpc: JsonRpcCode.MethodNotFound,
    retryable: false,
    title: 'The method is not available in this protocol era.',
  },
  missing_session: {
    status: 400,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'This request needs an Mcp-Session-Id header; send initialize first.',
  },
  session_not_found: {
    status: 404,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The session does not exist or has ended; initialize again.',
  },
  unauthorized: {
    status: 401,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title: 'Missing or invalid credentials.',
  },
  forbidden: {
    status: 403,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title: 'The credentials do not grant access to this resource.',
  },
  insufficient_scope: {
    status: 403,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title: 'The access token lacks a scope this request needs (RFC 6750 §3.1).',
  },
  csrf_failed: {
    status: 403,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The X-CSRF-Token header is missing or does not match the browser session.',
  },
  too_many_requests: {
    status: 429,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: true,
    title: 'Too many attempts; try again later.',
  },
  origin_not_allowed: {
    status: 403,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The Origin header is not allowed.',
  },
  workspace_not_found: {
    status: 404,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'No such workspace.',
  },
  server_not_found: {
    status: 404,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'No such server in this workspace.',
  },
  method_not_allowed: {
    status: 405,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The HTTP method is not allowed here.',
  },
  not_found: {
    status: 404,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'Not found.',
  },
  conflict: {
    status: 409,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The request conflicts with the current state.',
  },
  // Admin API: a server listed live with the caller's credentials, which they have not set up yet.
  connection_required: {
    status: 409,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title:
      'This server needs your upstream account connection (data.connect_url) or your own secret values first.',
  },
  upstream_unavailable: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: true,
    title: 'The upstream MCP server could not be reached.',
  },
  upstream_error: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: true,
    title: 'The upstream MCP server answered with an error.',
  },
  upstream_protocol_error: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: false,
    title: 'The upstream MCP server sent a malformed answer.',
  },
  // An upstream 4xx without a JSON-RPC body (data.status, data.retryAfterSeconds from Retry-After).
  // Retrying the same request changes nothing, except after 408, 425 and 429 (that instance is retryable).
  upstream_refused: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: false,
    title: 'The upstream MCP server refused the request with an HTTP 4xx status (data.status).',
  },
  upstream_oauth_error: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: false,
    title:
      "The upstream's OAuth metadata or authorization server does not follow the MCP authorization spec.",
  },
  upstream_oauth_unavailable: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: true,
    title:
      "The upstream's authorization server could not be reached or is failing; try again later.",
  },
  upstream_grant_invalid: {
    status: 401,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title: 'The upstream authorization was revoked or has expired; connect the account again.',
  },
  upstream_authorization_failed: {
    status: 400,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The upstream authorization did not complete (denied, or a state or issuer mismatch).',
  },
  // A JSON-RPC error (HTTP 200 with a request id: the caller's own credential is fine).
  upstream_connection_required: {
    status: 403,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title:
      'This server needs an upstream account connection; open the connect URL in error.data and try again.',
  },
  // A JSON-RPC error (HTTP 200 with a request id): the member sets the value, then retries.
  upstream_member_secret_required: {
    status: 403,
    rpc: JsonRpcCode.Unauthorized,
    retryable: false,
    title:
      'This stdio server runs with your own secret values and one is not set; set it through the admin API path in the message.',
  },
  // MCP 2025-11-25 basic/utilities/elicitation "URL Elicitation Required Error".
  upstream_url_elicitation_required: {
    status: 403,
    rpc: JsonRpcCode.UrlElicitationRequired,
    retryable: false,
    title: 'This server needs an upstream account connection; open the URL to connect it.',
  },
  upstream_timeout: {
    status: 504,
    rpc: JsonRpcCode.UpstreamTimeout,
    retryable: true,
    title: 'The upstream MCP server did not answer in time.',
  },
  client_request_timeout: {
    status: 504,
    rpc: JsonRpcCode.RequestTimeout,
    retryable: true,
    title: 'The client did not answer a server request in time.',
  },
  rate_limited: {
    status: 429,
    rpc: JsonRpcCode.RateLimited,
    retryable: true,
    title: 'A usage limit of this workspace is reached; retry after data.retryAfterSeconds.',
  },
  message_too_large: {
    status: 413,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The message is larger than this server or tool allows (security.max_request_bytes).',
  },
  response_too_large: {
    status: 502,
    rpc: JsonRpcCode.UpstreamError,
    retryable: false,
    title:
      "The upstream's answer is larger than this server or tool allows (security.max_response_bytes).",
  },
  confirmation_declined: {
    status: 403,
    rpc: JsonRpcCode.InvalidRequest,
    retryable: false,
    title: 'The member did not confirm the call of a destructive tool.',
  },
  confirmation_unavailable: {
    status: 400,
    rpc: JsonRpcCode.MissingRequiredClientCapability,
    retryable: false,
    title: 'This tool needs confirmation through elicitation, which the client did not declare.',
  },
  unsupported_transport: {
    status: 501,
    rpc: JsonRpcCode.UpstreamError,
    retryable: false,
    title: 'This server transport is not supported by this gateway build.',
  },
  secret_unreadable: {
    status: 500,
    rpc: JsonRpcCode.InternalError,
    retryable: false,
    title:
      'A stored secret cannot be decrypted with the configured secret keys (PORTCULLIS_SECRET_KEY, PORTCULLIS_PREVIOUS_SECRET_KEYS).',
  },
  internal: {
    status: 500,
    rpc: JsonRpcCode.InternalError,
    retryable: false,
    title: 'Internal error.',
  },
  unavailable: {
    status: 503,
    rpc: JsonRpcCode.InternalError,
    retryable: true,
    title: 'The gateway is shutting down or not ready.',
  },
  shared_state_unavailable: {
    status: 503,
    rpc: JsonRpcCode.InternalError,
    retryable: true,
    title: 'The shared state (Redis, PORTCULLIS_REDIS_URL) cannot be reached.',
  },
  store_unavailable: {
    status: 503,
    rpc: JsonRpcCode.InternalError,
    retryable: true,
    title:
      'The database (PORTCULLIS_DATABASE_URL) cannot be reached or did not answer in time (PORTCULLIS_DATABASE_STATEMENT_TIMEOUT_MS).',
  },
  identity_provider_unavailable: {
    status: 503,
    rpc: JsonRpcCode.InternalError,
    retryable: true,
    title: 'The single sign-on identity provider cannot be reached.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GatewayErrorOptions {
  /** Extra JSON-RPC `error.data` or HTTP body fields safe to show the caller. */
  data?: Record<string, unknown>;
  /** Extra response headers (e.g. `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly rpcCode: number;
  readonly retryable: boolean;
  readonly data: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message?: string, options: GatewayErrorOptions = {}) {
    const spec: ErrorSpec = errorCatalogue[code];
    // Catalogue errors are answers, not bugs: capturing a stack for each
    // costs more than serving a request. `internal` keeps its stack (and its cause's).
    const stackTraceLimit = Error.stackTraceLimit;
    if (code !== 'internal') Error.stackTraceLimit = 0;
    super(
      message ?? spec.title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'GatewayError';
    this.code = code;
    this.status = spec.status;
    this.rpcCode = spec.rpc;
    this.retryable = spec.retryable;
    this.data = options.data;
    this.headers = options.headers;
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}

/** Anything thrown becomes a GatewayError; unknown errors become `internal`. */
export function toGatewayError(error: unknown): GatewayError {
  if (isGatewayError(error)) return error;
  return new GatewayError('internal', undefined, { cause: error });
}
