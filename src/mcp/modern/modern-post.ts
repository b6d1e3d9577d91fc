/**
 * Modern-era (2026-07-28) POST. Requests are stateless, so toward a modern
 * upstream the body is forwarded byte for byte with the standard headers,
 * and the answer streams back as it comes. Closing the downstream stream
 * closes the upstream one: that is cancellation in this era.
 */
import { GatewayError } from '../../shared/errors.ts';
import { readBody } from '../../upstream/http-client.ts';
import { parseSse } from '../../upstream/sse-parser.ts';
import { isResponse } from '../json-rpc.ts';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { recordAnswer } from '../reply.ts';
import { openSseStream } from '../sse-writer.ts';

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

function tryParse(text: string): JsonRpcMessage | null {
  try {
    return JSON.parse(text) as JsonRpcMessage;
  } catch {
    return null;
  }
}

export async function forwardModern(call: McpCall, _deps: McpDeps, body: Buffer): Promise<void> {
  const started = performance.now();
  const controller = new AbortController();
  const onGone = (): void => controller.abort();
  call.signal.addEventListener('abort', onGone, { once: true });
  try {
    const reply = await call.upstream.forward(body, {
      headers: forwardedHeaders(call),
      signal: controller.signal,
      timeoutMs: call.timeoutMs,
    });
    if (reply.contentType === 'text/event-stream' && reply.status < 300) {
      call.reply.hijack();
      const sse = openSseStream(call.reply.raw, reply.status, {});
      void sse.done.then(() => controller.abort());
      try {
        for await (const event of parseSse(reply.body as AsyncIterable<Buffer>)) {
          if (sse.closed) break;
          if (event.event !== 'message') continue;
          const message = event.data === '' ? null : tryParse(event.data);
          if (message !== null && isResponse(message)) {
            call.record.upstreamLatencyMs = performance.now() - started;
            recordAnswer(call.record, message);
          }
          sse.send(message, event.id, event.retry);
        }
      } catch (error) {
        if (!sse.closed) {
          call.record.status = 'error';
          call.record.errorMessage = 'upstream_unavailable';
          sse.send({
            jsonrpc: '2.0',
            id: (call.request.body as { id?: string | number } | undefined)?.id ?? null,
            error: { code: -32001, message: `The upstream ${call.serverKey} stream broke off.` },
          });
        }
        void error;
      }
      call.record.httpStatus = reply.status;
      call.record.bytesOut = sse.bytesWritten();
      sse.end();
      return;
    }
    const text = await readBody(reply.body, MAX_JSON_BYTES);
    call.record.upstreamLatencyMs = performance.now() - started;
    call.record.httpStatus = reply.status;
    call.record.bytesOut = Buffer.byteLength(text);
    if (reply.contentType === 'application/json' && text.length > 0) {
      const message = tryParse(text);
      if (message === null)
        throw new GatewayError(
          'upstream_protocol_error',
          `The upstream ${call.serverKey} sent a body that is not JSON.`,
        );
      recordAnswer(call.record, message);
    } else if (text.length > 0 || reply.status >= 300) {
      if (reply.status >= 500)
        throw new GatewayError(
          'upstream_error',
          `The upstream ${call.serverKey} answered HTTP ${reply.status}.`,
        );
      if (reply.status >= 300)
        throw new GatewayError(
          'upstream_protocol_error',
          `The upstream ${call.serverKey} answered HTTP ${reply.status} without a JSON-RPC body.`,
        );
      throw new GatewayError(
        'upstream_protocol_error',
        `The upstream ${call.serverKey} answered with ${reply.contentType || 'no content type'}.`,
      );
    }
    const out = call.reply.code(reply.status);
    if (text.length > 0) out.type('application/json');
    await out.send(text.length > 0 ? text : undefined);
  } finally {
    call.signal.removeEventListener('abort', onGone);
  }
}
