/**
 * The per-request envelope of a 2026-07-28 request (basic/index "_meta"):
 * what the client declares on every request, and the request as a legacy
 * server must receive it, without the modern-only material (envelope keys,
 * `inputResponses`, `requestState`) that a 2025 server would not expect.
 */
import { META } from '../../session/protocol-version.ts';
import { isObject, metaOf } from '../json-rpc.ts';
import type { JsonObject, JsonRpcRequest } from '../json-rpc.ts';

export interface ModernEnvelope {
  protocolVersion: unknown;
  capabilities: JsonObject;
  clientInfo: JsonObject | null;
  /** `io.modelcontextprotocol/logLevel`: without it the request gets no log messages. */
  logLevel: string | undefined;
}

const ENVELOPE_KEYS: readonly string[] = [
  META.protocolVersion,
  META.clientCapabilities,
  META.clientInfo,
  META.logLevel,
];

export function readModernEnvelope(message: { params?: JsonObject }): ModernEnvelope {
  const meta = metaOf(message) ?? {};
  const capabilities = meta[META.clientCapabilities];
  const clientInfo = meta[META.clientInfo];
  const logLevel = meta[META.logLevel];
  return {
    protocolVersion: meta[META.protocolVersion],
    capabilities: isObject(capabilities) ? capabilities : {},
    clientInfo: isObject(clientInfo) ? clientInfo : null,
    logLevel: typeof logLevel === 'string' ? logLevel : undefined,
  };
}

/** The params a legacy server receives for this request. */
export function legacyParams(message: JsonRpcRequest): JsonObject | undefined {
  if (message.params === undefined) return undefined;
  const { _meta, inputResponses, requestState, ...params } = message.params;
  void inputResponses;
  void requestState;
  if (isObject(_meta)) {
    // No prototype: a `__proto__` key is forwarded, not turned into the copy's prototype.
    const meta = Object.create(null) as JsonObject;
    for (const [key, value] of Object.entries(_meta))
      if (!ENVELOPE_KEYS.includes(key)) meta[key] = value;
    if (Object.keys(meta).length > 0) params._meta = meta;
  }
  return params;
}
