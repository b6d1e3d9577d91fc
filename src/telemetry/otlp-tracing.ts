/**
 * Tracing as configured: off (undefined, nothing on the hot path) without an
 * OTLP endpoint, else spans made per message and exported over OTLP/HTTP.
 */
import os from 'node:os';
import { createOtlpExporter } from './otlp-exporter.ts';
import type { OtlpExporterLogger, SpanExporter } from './otlp-exporter.ts';
import { createTracing } from './tracing.ts';
import type { Tracing } from './tracing.ts';

export interface OtlpTracingOptions {
  readonly endpoint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Defaults to the package version at the time of writing. */
  readonly serviceVersion?: string;
  readonly logger: OtlpExporterLogger;
}

export interface OtlpTracing {
  readonly tracing: Tracing;
  readonly exporter: SpanExporter;
}

export function createOtlpTracing(options: OtlpTracingOptions): OtlpTracing | undefined {
  if (options.endpoint === undefined) return undefined;
  const exporter = createOtlpExporter({
    endpoint: options.endpoint,
    headers: options.headers,
    logger: options.logger,
    resource: {
      // OTel resource semantic conventions: service.*, host.name.
      attributes: {
        'service.name': 'portcullis',
        'service.version': options.serviceVersion ?? '0.1.0',
        'service.instance.id': `${os.hostname()}:${process.pid}`,
        'host.name': os.hostname(),
      },
      scopeName: 'portcullis',
      scopeVersion: options.serviceVersion ?? '0.1.0',
    },
  });
  return { tracing: createTracing({ export: (span) => exporter.export(span) }), exporter };
}
