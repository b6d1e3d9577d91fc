import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseRuntimeConfig } from '../config/runtime-config.ts';
import { createOtlpTracing } from './otlp-tracing.ts';

const logger = { warn: () => undefined };

function configIssues(env: Record<string, string>): readonly string[] {
  try {
    parseRuntimeConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues;
  }
  return [];
}

describe('tracing and metrics settings', () => {
  it('leaves tracing off, with nothing created, when no OTLP endpoint is set', () => {
    const config = parseRuntimeConfig({});
    assert.equal(config.otlpEndpoint, undefined);
    assert.deepEqual(config.otlpHeaders, {});
    assert.equal(config.metricsToken, undefined);
    assert.equal(createOtlpTracing({ endpoint: undefined, headers: {}, logger }), undefined);
  });

  it('reads the endpoint and the headers in the OTEL_EXPORTER_OTLP_HEADERS format', () => {
    const config = parseRuntimeConfig({
      PORTCULLIS_OTLP_ENDPOINT: 'https://collector.example.com:4318',
      PORTCULLIS_OTLP_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNz, x-tenant = acme ,',
    });
    assert.equal(config.otlpEndpoint, 'https://collector.example.com:4318');
    assert.deepEqual(config.otlpHeaders, {
      authorization: 'Basic dXNlcjpwYXNz',
      'x-tenant': 'acme',
    });
    const tracing = createOtlpTracing({
      endpoint: config.otlpEndpoint,
      headers: config.otlpHeaders,
      logger,
    });
    assert.ok(tracing !== undefined);
    void tracing.exporter.close();
  });

  it('refuses malformed settings with a message naming the variable', () => {
    for (const [env, variable] of [
      [{ PORTCULLIS_OTLP_HEADERS: 'no-equals-sign' }, 'PORTCULLIS_OTLP_HEADERS'],
      [{ PORTCULLIS_OTLP_HEADERS: '=value' }, 'PORTCULLIS_OTLP_HEADERS'],
      [{ PORTCULLIS_OTLP_HEADERS: 'bad name=1' }, 'PORTCULLIS_OTLP_HEADERS'],
      [{ PORTCULLIS_OTLP_HEADERS: 'x=%E0%A4%A' }, 'PORTCULLIS_OTLP_HEADERS'],
      [{ PORTCULLIS_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'PORTCULLIS_OTLP_ENDPOINT'],
      [{ PORTCULLIS_OTLP_ENDPOINT: 'not a url' }, 'PORTCULLIS_OTLP_ENDPOINT'],
      [{ PORTCULLIS_METRICS_TOKEN: 'short' }, 'PORTCULLIS_METRICS_TOKEN'],
    ] as const) {
      const issues = configIssues(env);
      assert.equal(issues.length, 1, JSON.stringify(env));
      assert.ok(issues[0]!.startsWith(`${variable}: `), issues[0]);
    }
  });
});
