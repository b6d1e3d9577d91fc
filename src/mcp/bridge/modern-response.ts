/**
 * A legacy upstream's answer as a 2026-07-28 client must see it:
 *
 * - every result carries `resultType` (basic/index "Results");
 * - complete results of the cacheable methods carry `ttlMs` and
 *   `cacheScope` (server/utilities/caching). The gateway cannot know how
 *   long a legacy server's lists stay valid, so it says "do not reuse"
 *   (0) and keeps them to the caller's authorization context (private);
 * - results name the server in `_meta` (serverInfo, from its InitializeResult);
 * - "resource not found" is -32602 with the URI in `data`, no longer -32002
 *   (SEP-2164).
 */
import { META } from '../../session/protocol-version.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject, JsonRpcId, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';

const CACHEABLE = new Set([
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

const LEGACY_RESOURCE_NOT_FOUND = -32002;

export function withServerInfo(result: JsonObject, serverInfo: unknown): JsonObject {
  if (!isObject(serverInfo)) return result;
  const meta = isObject(result._meta) ? result._meta : {};
  return { ...result, _meta: { ...meta, [META.serverInfo]: serverInfo } };
}

export function toModernResult(
  method: string,
  result: JsonObject,
  serverInfo: unknown,
): JsonObject {
  const out: JsonObject = { ...result, resultType: 'complete' };
  if (CACHEABLE.has(method)) {
    out.ttlMs = 0;
    out.cacheScope = 'private';
  }
  return withServerInfo(out, serverInfo);
}

export function toModernResponse(
  id: JsonRpcId,
  request: JsonRpcRequest,
  answer: JsonRpcResponse,
  serverInfo: unknown,
): JsonRpcResponse {
  if (answer.error) {
    if (request.method === 'resources/read' && answer.error.code === LEGACY_RESOURCE_NOT_FOUND) {
      const data = isObject(answer.error.data) ? answer.error.data : {};
      return {
        jsonrpc: '2.0',
        id,
        error: {
          ...answer.error,
          code: -32602,
          data: { ...data, uri: request.params?.uri },
        },
      };
    }
    return { jsonrpc: '2.0', id, error: answer.error };
  }
  const result = isObject(answer.result) ? answer.result : {};
  return { jsonrpc: '2.0', id, result: toModernResult(request.method, result, serverInfo) };
}
