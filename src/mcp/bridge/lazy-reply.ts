/**
 * A downstream answer to one POSTed request that is plain JSON unless
 * something has to go out before the response (a notification, or a
 * server→client request on a legacy session): then it becomes an SSE
 * stream, which both eras let the server choose per request.
 */
import { toGatewayError } from '../../shared/errors.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from '../json-rpc.ts';
import type { McpReply } from '../mcp-call.ts';
import { gatewayErrorResponse, recordAnswer, sendJson } from '../reply.ts';
import { openSseStream } from '../sse-writer.ts';
import type { SseWriter } from '../sse-writer.ts';

export interface LazyReply {
  /** Sends a message ahead of the response (upgrading to SSE); false once the client is gone. */
  send(message: JsonRpcMessage): boolean;
  /** Sends the response and ends the exchange. */
  finish(response: JsonRpcResponse, status?: number): void;
  /**
   * Answers a failure: on a stream it is written as the response; before
   * that it is thrown again for the endpoint's error translator.
   */
  fail(id: JsonRpcId, error: unknown): void;
  readonly streaming: boolean;
}

export function createLazyReply(
  reply: McpReply,
  record: RequestRecord,
  headers: Record<string, string> = {},
): LazyReply {
  let sse: SseWriter | undefined;
  return {
    get streaming() {
      return sse !== undefined;
    },
    send(message) {
      if (sse === undefined) {
        if (reply.sent || reply.raw.destroyed) return false;
        reply.hijack();
        sse = openSseStream(reply.raw, 200, headers);
      }
      if (sse.closed) return false;
      sse.send(message);
      return true;
    },
    finish(response, status = 200) {
      if (sse === undefined) return sendJson(reply, record, status, response, headers);
      sse.send(response);
      recordAnswer(record, response);
      record.httpStatus = 200;
      record.bytesOut = sse.bytesWritten();
      sse.end();
    },
    fail(id, error) {
      if (sse === undefined) throw error;
      const failure = toGatewayError(error);
      record.status = 'error';
      record.errorMessage = failure.code;
      this.finish(gatewayErrorResponse(id, failure));
    },
  };
}
