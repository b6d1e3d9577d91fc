/**
 * The JSON-RPC wire translator: every error leaving the MCP endpoint is
 * formatted here, from a GatewayError or from an upstream's own error.
 */
import type { GatewayError } from '../shared/errors.ts';
import { errorCatalogue, toGatewayError } from '../shared/errors.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { errorResponse, isObject } from './json-rpc.ts';
import type { McpReply } from './mcp-call.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from './json-rpc.ts';

export function gatewayErrorResponse(id: JsonRpcId | null, error: GatewayError): JsonRpcResponse {
  return errorResponse(id, {
    code: error.rpcCode,
    message: error.message,
    data: { reason: error.code, retryable: error.retryable, ...error.data },
  });
}

/** Notes the outcome of a JSON-RPC answer on the record. */
export function recordAnswer(
  record: RequestRecord,
  message: JsonRpcMessage | JsonRpcMessage[] | null,
): void {
  if (message === null || Array.isArray(message)) return;
  if ('error' in message && message.error && typeof message.error === 'object') {
    const error = message.error as { code?: unknown; message?: unknown; data?: unknown };
    record.status = 'error';
    record.errorCode = typeof error.code === 'number' ? error.code : null;
    // An error the gateway made (gatewayErrorResponse) is recorded by its catalogue code.
    const reason = isObject(error.data) ? error.data.reason : undefined;
    if (typeof reason === 'string' && Object.hasOwn(errorCatalogue, reason))
      record.errorMessage = reason;
    else if (record.errorMessage === null && typeof error.message === 'string')
      record.errorMessage = error.message.slice(0, 200);
  }
}

export function sendJson(
  reply: McpReply,
  record: RequestRecord,
  status: number,
  message: JsonRpcMessage | JsonRpcMessage[],
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(message);
  recordAnswer(record, message);
  record.httpStatus = status;
  record.bytesOut = Buffer.byteLength(text);
  void reply.code(status).headers(headers).type('application/json').send(text);
}

export function sendAccepted(
  reply: McpReply,
  record: RequestRecord,
  headers: Record<string, string> = {},
): void {
  record.httpStatus = 202;
  void reply.code(202).headers(headers).send();
}

/**
 * Answers a failure. With a request id the client gets a JSON-RPC error for
 * that request; without one (envelope-level failures) the HTTP status says
 * what went wrong and the body is a JSON-RPC error with a null id.
 */
export function sendError(
  reply: McpReply,
  record: RequestRecord,
  thrown: unknown,
  id: JsonRpcId | null = null,
): void {
  const error = toGatewayError(thrown);
  record.status = 'error';
  record.errorMessage = error.code;
  record.errorCode = error.rpcCode;
  if (reply.sent || reply.raw.headersSent) return;
  const status = id === null || error.code.startsWith('upstream_') === false ? error.status : 200;
  sendJson(reply, record, status, gatewayErrorResponse(id, error), error.headers);
  record.status = 'error';
  record.errorMessage = error.code;
}
