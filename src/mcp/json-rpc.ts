/**
 * JSON-RPC 2.0 envelopes. The gateway parses only the envelope it needs
 * (jsonrpc, id, method, params._meta, params.name|uri) and forwards every
 * other field untouched: SDK schemas strip unknown fields, so messages stay
 * plain objects from JSON.parse all the way through.
 */
import { GatewayError } from '../shared/errors.ts';

export type JsonRpcId = string | number;
export type JsonObject = Record<string, unknown>;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: JsonObject;
  [key: string]: unknown;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: JsonObject;
  [key: string]: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  result?: JsonObject;
  error?: JsonRpcErrorObject;
  [key: string]: unknown;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

export function isNotification(message: JsonRpcMessage): message is JsonRpcNotification {
  return 'method' in message && !('id' in message && message.id !== undefined);
}

export function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !('method' in message) && ('result' in message || 'error' in message);
}

function isValidId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Validates one JSON value as a JSON-RPC 2.0 message; throws `invalid_message` otherwise. */
export function toMessage(value: unknown): JsonRpcMessage {
  if (!isObject(value) || value.jsonrpc !== '2.0') {
    throw new GatewayError(
      'invalid_message',
      'Expected a JSON-RPC 2.0 object with "jsonrpc": "2.0".',
    );
  }
  if ('method' in value) {
    if (typeof value.method !== 'string' || value.method.length === 0) {
      throw new GatewayError('invalid_message', '"method" must be a non-empty string.');
    }
    if (value.params !== undefined && !isObject(value.params)) {
      throw new GatewayError('invalid_message', '"params" must be an object.');
    }
    if ('id' in value && value.id !== undefined && !isValidId(value.id)) {
      throw new GatewayError('invalid_message', '"id" must be a string or a number.');
    }
    return value as JsonRpcMessage;
  }
  if ('result' in value || 'error' in value) {
    if (!isValidId(value.id))
      throw new GatewayError('invalid_message', 'A response needs a string or number "id".');
    // JSON-RPC 2.0 §5: result and error both present is no answer at all.
    if ('result' in value && 'error' in value)
      throw new GatewayError('invalid_message', 'A response has "result" or "error", not both.');
    if ('error' in value && (!isObject(value.error) || typeof value.error.code !== 'number')) {
      throw new GatewayError('invalid_message', '"error" must be an object with a numeric "code".');
    }
    if ('result' in value && !isObject(value.result)) {
      throw new GatewayError('invalid_message', '"result" must be an object.');
    }
    return value as JsonRpcMessage;
  }
  throw new GatewayError(
    'invalid_message',
    'A message needs "method" (request or notification) or "result"/"error" (response).',
  );
}

/** Parses a request body: one message, or a batch (array) the caller may refuse. */
export function parseBody(body: Buffer | string): JsonRpcMessage | JsonRpcMessage[] {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new GatewayError(
      'parse_error',
      `The body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw new GatewayError('invalid_message', 'An empty batch is not a valid JSON-RPC message.');
    return value.map(toMessage);
  }
  return toMessage(value);
}

export function errorResponse(id: JsonRpcId | null, error: JsonRpcErrorObject): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: JsonRpcId, result: JsonObject): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

/** `params.name` (tools/call, prompts/get) or `params.uri` (resources/*), the message's target. */
export function targetOf(message: JsonRpcRequest | JsonRpcNotification): string | null {
  const params = message.params;
  if (params === undefined) return null;
  if (typeof params.name === 'string') return params.name;
  if (typeof params.uri === 'string') return params.uri;
  return null;
}

export function metaOf(message: { params?: JsonObject }): JsonObject | undefined {
  const meta = message.params?._meta;
  return isObject(meta) ? meta : undefined;
}
