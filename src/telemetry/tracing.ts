/**
 * OpenTelemetry traces by hand (manual spans, DESIGN.md): one SERVER span
 * per MCP message that reaches an endpoint, and one CLIENT span per call the
 * gateway makes to the upstream for it, linked by W3C Trace Context.
 *
 * Parent of the server span, in order (OTel semantic conventions for MCP,
 * "Context propagation"): `params._meta.traceparent` (SEP-414), else the
 * HTTP `traceparent` header, else a new trace. When `_meta` gives the parent
 * and the header names another context, the header becomes a span link.
 * An unsampled parent is followed (parent-based sampling): its context is
 * still passed on, nothing is exported.
 *
 * Attributes never carry arguments, results, headers or session ids: only
 * names, ids the gateway made and outcome codes (see spanAttributes).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isObject } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { AttributeValue, FinishedSpan } from './otlp-encode.ts';
import { cleanRecord } from './record-hygiene.ts';
import type { RequestRecord } from './request-record.ts';
import { errorCatalogue } from '../shared/errors.ts';
import { cleanTracestate, newSpanId, newTraceId, parseTraceparent } from './tracing-context.ts';
import type { SpanContext } from './tracing-context.ts';
import { traceUpstream } from './tracing-upstream.ts';
import { methodAttributes, nowMs, spanName } from './tracing-attributes.ts';

export interface Tracing {
  /** Starts the server span of one HTTP exchange on an MCP endpoint. */
  begin(headers: IncomingHttpHeaders): MessageTrace;
}

export interface MessageTrace {
  readonly traceId: string;
  /** The parsed message: its `_meta.traceparent` becomes the parent, its id an attribute. */
  adopt(message: JsonRpcMessage): void;
  /** A view of `upstream` that makes a client span per call and passes the context on. */
  upstream(upstream: Upstream, server: ServerDefinition): Upstream;
  /** Ends the span from the finished record (and notes the trace id on it). */
  end(record: RequestRecord): void;
}

/** What the upstream decorator needs from the message's trace. */
export interface ClientSpanParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly tracestate: string | undefined;
  /** Registers a client span as it starts; one still open when the server span ends, ends with it. */
  add(span: PendingClientSpan): void;
}

export interface PendingClientSpan {
  readonly spanId: string;
  readonly name: string;
  readonly startMs: number;
  endMs: number | undefined;
  /** The answer's time is measured by the mcp layer (`record.upstreamLatencyMs`), not here. */
  fromRecord: boolean;
  error: string | undefined;
  readonly attributes: Record<string, AttributeValue>;
}

export interface TracingOptions {
  export(span: FinishedSpan): void;
}

function spanAttributes(
  record: RequestRecord,
  requestId: string | undefined,
): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  methodAttributes(attributes, record.method, record.target);
  if (requestId !== undefined) attributes['jsonrpc.request.id'] = requestId;
  if (record.protocolVersion !== null) attributes['mcp.protocol.version'] = record.protocolVersion;
  // The session's random tag: the Mcp-Session-Id itself is a sealed credential.
  if (record.sessionTag !== null) attributes['mcp.session.id'] = record.sessionTag;
  attributes['network.protocol.name'] = 'http';
  attributes['network.transport'] = 'tcp';
  attributes['http.response.status_code'] = record.httpStatus;
  if (record.status === 'error') {
    const code = record.errorCode === null ? undefined : String(record.errorCode);
    if (code !== undefined) attributes['rpc.response.status_code'] = code;
    attributes['error.type'] = code ?? record.errorMessage ?? 'error';
  }
  attributes['portcullis.request.id'] = record.id;
  attributes['portcullis.workspace.id'] = record.workspaceId;
  attributes['portcullis.server.id'] = record.serverId;
  attributes['portcullis.era'] = record.era;
  attributes['portcullis.principal.kind'] = record.principalKind;
  if (record.principalId !== null) attributes['portcullis.principal.id'] = record.principalId;
  if (record.apiKeyId !== null) attributes['portcullis.api_key.id'] = record.apiKeyId;
  if (record.clientId !== null) attributes['portcullis.oauth_client.id'] = record.clientId;
  if (record.clientName !== null) attributes['portcullis.client.name'] = record.clientName;
  if (record.clientVersion !== null) attributes['portcullis.client.version'] = record.clientVersion;
  if (record.upstreamLatencyMs !== null)
    attributes['portcullis.upstream.duration_ms'] = record.upstreamLatencyMs;
  attributes['portcullis.bytes.in'] = record.bytesIn;
  attributes['portcullis.bytes.out'] = record.bytesOut;
  return attributes;
}

/**
 * The span status message: the gateway's catalogue code, or the JSON-RPC
 * code. An upstream's own error text is left out: it may quote arguments.
 */
export function errorDescription(record: Pick<RequestRecord, 'errorCode' | 'errorMessage'>) {
  if (record.errorMessage !== null && Object.hasOwn(errorCatalogue, record.errorMessage))
    return record.errorMessage;
  return record.errorCode === null ? 'error' : `JSON-RPC error ${record.errorCode}`;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One message's server span. A class rather than closures and getters: it
 * is made per message while tracing is on, and stays cheap that way.
 */
class ServerSpan implements MessageTrace, ClientSpanParent {
  readonly spanId = newSpanId();
  readonly startMs = nowMs();
  traceId: string;
  sampled: boolean;
  tracestate: string | undefined;
  private parent: SpanContext | undefined;
  private readonly fromHeader: SpanContext | undefined;
  private link: SpanContext | undefined;
  private requestId: string | undefined;
  private clients: PendingClientSpan[] | undefined;
  private ended = false;
  private readonly sink: (span: FinishedSpan) => void;

  constructor(headers: IncomingHttpHeaders, sink: (span: FinishedSpan) => void) {
    this.sink = sink;
    const fromHeader = parseTraceparent(headerValue(headers, 'traceparent'));
    this.fromHeader = fromHeader;
    this.parent = fromHeader;
    this.traceId = fromHeader?.traceId ?? newTraceId();
    this.sampled = fromHeader?.sampled ?? true;
    this.tracestate =
      fromHeader === undefined ? undefined : cleanTracestate(headerValue(headers, 'tracestate'));
  }

  adopt(message: JsonRpcMessage): void {
    const id = 'id' in message ? message.id : undefined;
    if (typeof id === 'string' || typeof id === 'number') this.requestId = String(id);
    const params = 'params' in message ? message.params : undefined;
    const meta = isObject(params) ? params._meta : undefined;
    if (!isObject(meta)) return;
    const fromMeta = parseTraceparent(meta.traceparent);
    if (fromMeta === undefined) return;
    if (this.fromHeader !== undefined && this.fromHeader.spanId !== fromMeta.spanId)
      this.link = this.fromHeader;
    this.parent = fromMeta;
    this.traceId = fromMeta.traceId;
    this.sampled = fromMeta.sampled;
    this.tracestate = cleanTracestate(meta.tracestate);
  }

  upstream(upstream: Upstream, server: ServerDefinition): Upstream {
    return traceUpstream(upstream, server, this);
  }

  add(span: PendingClientSpan): void {
    if (!this.ended) (this.clients ??= []).push(span);
  }

  end(record: RequestRecord): void {
    if (this.ended) return;
    this.ended = true;
    record.traceId = this.traceId;
    if (!this.sampled) return;
    // The record writer cleans every record; a span built from it before that needs it now.
    cleanRecord(record);
    const endMs = this.startMs + record.latencyMs;
    this.sink({
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parent?.spanId,
      name: spanName(record.method, record.target),
      kind: 'server',
      startMs: this.startMs,
      endMs,
      attributes: spanAttributes(record, this.requestId),
      error: record.status === 'error' ? errorDescription(record) : undefined,
      links:
        this.link === undefined ? [] : [{ traceId: this.link.traceId, spanId: this.link.spanId }],
    });
    for (const client of this.clients ?? []) {
      if (client.fromRecord) {
        // The mcp layer's clock started a little before this span did: never past the parent.
        client.endMs =
          record.upstreamLatencyMs === null
            ? endMs
            : Math.min(endMs, client.startMs + record.upstreamLatencyMs);
        if (record.status === 'error' && record.upstreamLatencyMs !== null)
          client.error ??= errorDescription(record);
      }
      this.sink({
        traceId: this.traceId,
        spanId: client.spanId,
        parentSpanId: this.spanId,
        name: client.name,
        kind: 'client',
        startMs: client.startMs,
        endMs: client.endMs ?? endMs,
        attributes: client.attributes,
        error: client.error,
        links: [],
      });
    }
  }
}

export function createTracing(options: TracingOptions): Tracing {
  const sink = (span: FinishedSpan): void => options.export(span);
  return { begin: (headers) => new ServerSpan(headers, sink) };
}
