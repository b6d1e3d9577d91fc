/**
 * The tracing view of an upstream: every message the gateway posts or
 * forwards for one downstream message gets a CLIENT span, child of that
 * message's SERVER span, and carries the span's context to the upstream in
 * both carriers: the `traceparent` HTTP header and, for requests and
 * notifications, `params._meta.traceparent` (SEP-414; the only carrier a
 * stdio server sees). Used only when tracing is on.
 */
import { GatewayError } from '../shared/errors.ts';
import { isObject, isResponse } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { StreamedMessage, Upstream, UpstreamCall } from '../upstream/upstream.ts';
import type { AttributeValue } from './otlp-encode.ts';
import { cleanMethod, cleanTarget } from './record-hygiene.ts';
import { methodAttributes, nowMs, spanName } from './tracing-attributes.ts';
import type { ClientSpanParent, PendingClientSpan } from './tracing.ts';
import { formatTraceparent, newSpanId } from './tracing-context.ts';

function peerAttributes(server: ServerDefinition): Record<string, AttributeValue> {
  if (server.transport === 'stdio' || server.url === null) return { 'network.transport': 'pipe' };
  try {
    const url = new URL(server.url);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return {
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'server.address': url.hostname.replace(/^\[|\]$/g, ''),
      'server.port': port,
    };
  } catch {
    return { 'network.transport': 'tcp' };
  }
}

/** Copies a request or notification with the context in `params._meta`; responses go as they are. */
function withContext(message: unknown, traceparent: string, tracestate: string | undefined) {
  if (!isObject(message) || typeof message.method !== 'string') return message;
  const params = isObject(message.params) ? message.params : {};
  const meta = isObject(params._meta) ? params._meta : {};
  const merged: Record<string, unknown> = { ...meta, traceparent };
  if (tracestate === undefined) delete merged.tracestate;
  else merged.tracestate = tracestate;
  return { ...message, params: { ...params, _meta: merged } };
}

function noteAnswer(span: PendingClientSpan, message: JsonRpcMessage): void {
  if (!isResponse(message)) return;
  if (message.error !== undefined) {
    const code = String(message.error.code);
    span.attributes['rpc.response.status_code'] = code;
    span.attributes['error.type'] = code;
    span.error = `JSON-RPC error ${code}`;
  } else if (isObject(message.result) && message.result.isError === true) {
    // A tool that failed answers a successful JSON-RPC response (semconv: error.type tool_error).
    span.attributes['error.type'] = 'tool_error';
    span.error = 'tool_error';
  }
}

function noteFailure(span: PendingClientSpan, error: unknown): void {
  const reason = error instanceof GatewayError ? error.code : 'internal';
  span.attributes['error.type'] = reason;
  span.error = reason;
  span.endMs ??= nowMs();
}

/** Passes the stream through unchanged, ending the span at the answer or the end of the stream. */
function observeStream(
  messages: AsyncIterable<StreamedMessage>,
  span: PendingClientSpan,
  requestId: unknown,
): AsyncIterable<StreamedMessage> {
  return {
    [Symbol.asyncIterator]() {
      const inner = messages[Symbol.asyncIterator]();
      const close = (): void => {
        span.endMs ??= nowMs();
      };
      return {
        async next() {
          const item = await inner.next();
          if (item.done === true) close();
          else if (
            span.endMs === undefined &&
            item.value.message !== null &&
            isResponse(item.value.message) &&
            item.value.message.id === requestId
          ) {
            noteAnswer(span, item.value.message);
            close();
          }
          return item;
        },
        async return(value?: unknown) {
          close();
          return inner.return === undefined
            ? { done: true as const, value: undefined }
            : inner.return(value);
        },
        async throw(error?: unknown) {
          close();
          if (inner.throw === undefined) throw error;
          return inner.throw(error);
        },
      };
    },
  };
}

export function traceUpstream(
  upstream: Upstream,
  server: ServerDefinition,
  parent: ClientSpanParent,
): Upstream {
  const peer = peerAttributes(server);

  const open = (message: unknown, fromRecord: boolean): PendingClientSpan => {
    const first = Array.isArray(message) ? (message[0] as unknown) : message;
    const method =
      isObject(first) && typeof first.method === 'string' ? cleanMethod(first.method) : null;
    const params = isObject(first) && isObject(first.params) ? first.params : undefined;
    const nameOrUri = params?.name ?? params?.uri;
    // The same bounded, scrubbed values as the message's own span (record-hygiene.ts).
    const target = typeof nameOrUri === 'string' ? cleanTarget(nameOrUri) : null;
    const attributes: Record<string, AttributeValue> = { ...peer };
    if (method !== null) methodAttributes(attributes, method, target);
    if (isObject(first) && (typeof first.id === 'string' || typeof first.id === 'number'))
      attributes['jsonrpc.request.id'] = String(first.id);
    if (Array.isArray(message)) attributes['portcullis.batch.size'] = message.length;
    const span: PendingClientSpan = {
      spanId: newSpanId(),
      name: method === null ? '(response)' : spanName(method, target),
      startMs: nowMs(),
      endMs: undefined,
      fromRecord,
      error: undefined,
      attributes,
    };
    parent.add(span);
    return span;
  };

  const traceparentOf = (spanId: string): string =>
    formatTraceparent({ traceId: parent.traceId, spanId, sampled: parent.sampled });

  const withHeaders = (call: UpstreamCall, traceparent: string): UpstreamCall => {
    const headers: Record<string, string> = { ...call.headers, traceparent };
    if (parent.tracestate !== undefined) headers.tracestate = parent.tracestate;
    else delete headers.tracestate;
    return { ...call, headers };
  };

  return {
    serverKey: upstream.serverKey,
    ...(upstream.fixedEra === undefined ? {} : { fixedEra: upstream.fixedEra }),
    async post(message, call) {
      const span = open(message, false);
      const traceparent = traceparentOf(span.spanId);
      const outgoing = Array.isArray(message)
        ? message.map((item) => withContext(item, traceparent, parent.tracestate))
        : withContext(message, traceparent, parent.tracestate);
      try {
        const outcome = await upstream.post(
          outgoing as JsonRpcMessage | JsonRpcMessage[],
          withHeaders(call, traceparent),
        );
        if (outcome.kind === 'stream') {
          const requestId = Array.isArray(message) ? undefined : (message as { id?: unknown }).id;
          return { ...outcome, messages: observeStream(outcome.messages, span, requestId) };
        }
        if (outcome.kind === 'json' && !Array.isArray(outcome.message))
          noteAnswer(span, outcome.message);
        span.endMs = nowMs();
        return outcome;
      } catch (error) {
        noteFailure(span, error);
        throw error;
      }
    },
    // Streams and session ends carry the message's own context; they are not separate calls.
    listen: (call) => upstream.listen(withHeaders(call, traceparentOf(parent.spanId))),
    terminate: (call) => upstream.terminate(withHeaders(call, traceparentOf(parent.spanId))),
    async forward(body, call) {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const span = open(parsed, true);
      const traceparent = traceparentOf(span.spanId);
      const outgoing = isObject(parsed)
        ? JSON.stringify(withContext(parsed, traceparent, parent.tracestate))
        : body;
      try {
        return await upstream.forward(outgoing, withHeaders(call, traceparent));
      } catch (error) {
        noteFailure(span, error);
        throw error;
      }
    },
    close: () => upstream.close(),
  };
}
