/**
 * OTLP/HTTP JSON encoding of finished spans (opentelemetry-proto,
 * `ExportTraceServiceRequest`): the JSON mapping of the protobuf messages,
 * with trace and span ids as hex strings rather than base64 and 64-bit
 * integers as decimal strings, as the OTLP specification requires for JSON.
 */

export type AttributeValue = string | number | boolean;

export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: 'server' | 'client';
  /** Epoch milliseconds, fractional. */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly error: string | undefined;
  /** Other contexts this span relates to (the HTTP `traceparent` when `_meta` gave the parent). */
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

// opentelemetry-proto trace.proto: Span.SpanKind and Status.StatusCode.
const KIND = { server: 2, client: 3 } as const;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
}

function anyValue(value: AttributeValue): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

export function encodeAttributes(
  attributes: Readonly<Record<string, AttributeValue>>,
): { key: string; value: OtlpAnyValue }[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** Epoch milliseconds to a decimal nanosecond string, exact past 2^53. */
export function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(nanos)).toString();
}

function encodeSpan(span: FinishedSpan): object {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
    name: span.name,
    kind: KIND[span.kind],
    startTimeUnixNano: unixNano(span.startMs),
    endTimeUnixNano: unixNano(Math.max(span.endMs, span.startMs)),
    attributes: encodeAttributes(span.attributes),
    ...(span.links.length === 0
      ? {}
      : { links: span.links.map((link) => ({ traceId: link.traceId, spanId: link.spanId })) }),
    status:
      span.error === undefined
        ? { code: STATUS_UNSET }
        : { code: STATUS_ERROR, message: span.error },
  };
}

export interface OtlpResource {
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

export function encodeTraceRequest(resource: OtlpResource, spans: readonly FinishedSpan[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: encodeAttributes(resource.attributes) },
        scopeSpans: [
          {
            scope: { name: resource.scopeName, version: resource.scopeVersion },
            spans: spans.map(encodeSpan),
          },
        ],
      },
    ],
  });
}
