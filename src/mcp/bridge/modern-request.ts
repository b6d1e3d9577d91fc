/**
 * A 2025-era client's request as a 2026-07-28 upstream must receive it:
 * the per-request envelope in `_meta` (version, and the capabilities and
 * client info the session declared at initialize, sealed in its id), the
 * log level the session set, the MRTR retry fields when answering
 * `input_required`, and the standard headers (SEP-2243: MCP-Protocol-Version,
 * Mcp-Method, Mcp-Name with the Base64 sentinel when needed, Mcp-Param-*).
 */
import type { LegacySession } from '../../session/legacy-session.ts';
import { META, MODERN_VERSION } from '../../session/protocol-version.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject, JsonRpcRequest } from '../json-rpc.ts';
import { encodeHeaderValue } from './tool-param-headers.ts';
import type { ToolParamHeaders } from './tool-param-headers.ts';

const NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

export interface Retry {
  inputResponses: JsonObject;
  /** Echoed byte for byte (mrtr "Client Requirements" 2). */
  requestState: string | undefined;
}

export function toModernRequest(
  message: JsonRpcRequest,
  id: string,
  session: LegacySession,
  logLevel: string | undefined,
  retry?: Retry,
): JsonRpcRequest {
  const params: JsonObject = { ...message.params };
  const meta: JsonObject = isObject(params._meta) ? { ...params._meta } : {};
  meta[META.protocolVersion] = MODERN_VERSION;
  meta[META.clientCapabilities] = session.caps;
  if (session.ci !== null) meta[META.clientInfo] = session.ci;
  if (logLevel !== undefined) meta[META.logLevel] = logLevel;
  params._meta = meta;
  if (retry !== undefined) {
    params.inputResponses = retry.inputResponses;
    if (retry.requestState !== undefined) params.requestState = retry.requestState;
  }
  return { jsonrpc: '2.0', id, method: message.method, params };
}

export function modernRequestHeaders(
  request: JsonRpcRequest,
  serverKey: string,
  toolHeaders: ToolParamHeaders,
): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-method': request.method };
  const field = NAME_SOURCE[request.method];
  const name = field === undefined ? undefined : request.params?.[field];
  if (typeof name === 'string') headers['mcp-name'] = encodeHeaderValue(name);
  if (request.method === 'tools/call' && typeof name === 'string')
    Object.assign(headers, toolHeaders.headersFor(serverKey, name, request.params?.arguments));
  return headers;
}
