/**
 * A modern upstream's complete answer as a 2025-era client must see it:
 * the modern-only result fields (`resultType`, the caching hints, the
 * serverInfo envelope in `_meta`) are taken out, everything else is left
 * exactly as the upstream sent it.
 */
import { META } from '../../session/protocol-version.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject, JsonRpcId, JsonRpcResponse } from '../json-rpc.ts';

export function toLegacyResult(result: JsonObject): JsonObject {
  const { resultType, ttlMs, cacheScope, _meta, ...rest } = result;
  void resultType;
  void ttlMs;
  void cacheScope;
  if (isObject(_meta)) {
    const { [META.serverInfo]: serverInfo, [META.subscriptionId]: subscriptionId, ...meta } = _meta;
    void serverInfo;
    void subscriptionId;
    if (Object.keys(meta).length > 0) rest._meta = meta;
  }
  return rest;
}

export function toLegacyResponse(id: JsonRpcId, answer: JsonRpcResponse): JsonRpcResponse {
  if (answer.error) return { jsonrpc: '2.0', id, error: answer.error };
  return {
    jsonrpc: '2.0',
    id,
    result: toLegacyResult(isObject(answer.result) ? answer.result : {}),
  };
}
