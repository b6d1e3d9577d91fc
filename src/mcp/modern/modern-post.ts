/**
 * Modern-era (2026-07-28) POST. Requests are stateless, so toward a modern
 * upstream the body is forwarded byte for byte with the standard headers,
 * and the answer streams back as it comes. Closing the downstream stream
 * closes the upstream one: that is cancellation in this era.
 */
import { GatewayError } from '../../shared/errors.ts';
import {
  UpstreamHttpError,
  describeUpstreamFailure,
  readBody,
} from '../../upstream/http-client.ts';
import { parseSse } from '../../upstream/sse-parser.ts';
import { isRequest, isResponse, toMessage } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { gatewayErrorResponse, recordAnswer } from '../reply.ts';
import { openSseStream } from '../sse-writer.ts';
import type { SseWriter } from '../sse-writer.ts';
import type { RawReply } from '../../upstream/upstream.ts';

const FORWARDED_HEADERS = new Set(['mcp-protocol-version', 'traceparent', 'tracestate', 'baggage']);
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Standard and custom MCP headers (Mcp-Method, Mcp-Name, Mcp-Param-*) pass through; intermediaries must forward unknown ones. */
function forwardedHeaders(call: McpCall): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.request.headers)) {
    if (value === undefined || name === 'mcp-session-id') continue;
    if (name.startsWith('mcp-') || FORWARDED_HEADERS.has(name))
      out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Parses an upstream message; anything that is not JSON-RPC is the upstream's fault. */
function upstreamMessage(text: string, call: McpCall): JsonRpcMessage {
  try {
    return toMessage(JSON.parse(text));
  } catch {
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${call.serverKey} sent a body that is not a JSON-RPC message.`,
    );
  }
}

function jsonRpcOrNull(text: string): JsonRpcMessage | null {
  try {
    return toMessage(JSON.parse(text));
  } catch {
    return null;
  }
}

async function relayStream(
  call: McpCall,
  reply: RawReply,
  sse: SseWriter,
  requestId: JsonRpcId | null,
  started: number,
): Promise<void> {
  let answered = false;
  try {
    for await (const event of parseSse(reply.body as AsyncIterable<Buffer>)) {
      if (sse.closed) return;
      if (event.event !== 'message') continue;
      const message = event.data === '' ? null : upstreamMessage(event.data, call);
      // A response to any other request has no place on this request's stream.
      if (message !== null && isResponse(message) && message.id !== requestId) continue;
      if (message !== null && isResponse(message)) {
        answered = true;
        call.record.upstreamLatencyMs = performance.now() - started;
        recordAnswer(call.record, message);
      }
      sse.send(message, event.id, event.retry);
      if (answered) return;
    }
  } catch (error) {
    if (sse.closed || answered) return;
    const failure = describeUpstreamFailure(
      error,
      new URL(call.server.url ?? 'http://upstream'),
      call.timeoutMs,
    );
    const response = gatewayErrorResponse(
      requestId,
      failure.code === 'upstream_unavailable'
        ? new GatewayError(
            'upstream_unavailable',
            `The upstream ${call.serverKey} stream broke off.`,
          )
        : failure,
    );
    sse.send(response);
    recordAnswer(call.record, response);
    return;
  }
  // The modern era has no resumption: a stream that ends unanswered loses the request.
  if (!answered && !sse.closed && requestId !== null) {
    const response = gatewayErrorResponse(
      requestId,
      new GatewayError(
        'upstream_unavailable',
        `The upstream ${call.serverKey} ended the stream without answering.`,
      ),
    );
    sse.send(response);
    recordAnswer(call.record, response);
  }
}

export async function forwardModern(
  call: McpCall,
  _deps: McpDeps,
  body: Buffer,
  message: JsonRpcMessage,
): Promise<void> {
  const started = performance.now();
  const requestId = isRequest(message) ? message.id : null;
  const controller = new AbortController();
  const onGone = (): void => controller.abort();
  call.signal.addEventListener('abort', onGone, { once: true });
  try {
    const reply = await call.upstream.forward(body, {
      headers: forwardedHeaders(call),
      signal: controller.signal,
      timeoutMs: call.timeoutMs,
      longLived: isRequest(message) && message.method === 'subscriptions/listen',
    });
    if (reply.contentType === 'text/event-stream' && reply.status < 300) {
      call.reply.hijack();
      const sse = openSseStream(call.reply.raw, reply.status, {});
      void sse.done.then(() => controller.abort());
      await relayStream(call, reply, sse, requestId, started);
      call.record.httpStatus = reply.status;
      call.record.bytesOut = sse.bytesWritten();
      sse.end();
      return;
    }
    const text = await readBody(reply.body, MAX_JSON_BYTES).catch((error: unknown) => {
      throw describeUpstreamFailure(
        error,
        new URL(call.server.url ?? 'http://upstream'),
        call.timeoutMs,
      );
    });
    call.record.upstreamLatencyMs = performance.now() - started;
    const answer =
      reply.contentType === 'application/json' && text.length > 0 ? jsonRpcOrNull(text) : null;
    if (answer !== null && requestId !== null && isResponse(answer) && answer.id !== requestId) {
      throw new GatewayError(
        'upstream_protocol_error',
        `The upstream ${call.serverKey} answered with a mismatched id.`,
      );
    } else if (answer !== null) {
      recordAnswer(call.record, answer);
    } else if (reply.status >= 300) {
      // Without a JSON-RPC body, a 4xx is the upstream refusing and a 5xx failing.
      throw new UpstreamHttpError(
        reply.status,
        `The upstream ${call.serverKey} answered HTTP ${reply.status}${text ? `: ${text.slice(0, 200)}` : ''}.`,
        { retryAfter: reply.headers['retry-after'] },
      );
    } else if (text.length > 0) {
      throw new GatewayError(
        'upstream_protocol_error',
        `The upstream ${call.serverKey} answered HTTP ${reply.status} with ${reply.contentType || 'no content type'} instead of JSON-RPC.`,
      );
    }
    call.record.httpStatus = reply.status;
    call.record.bytesOut = Buffer.byteLength(text);
    const out = call.reply.code(reply.status);
    if (text.length > 0) out.type('application/json');
    out.send(text.length > 0 ? text : undefined);
  } finally {
    call.signal.removeEventListener('abort', onGone);
  }
}
