import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startOtlpReceiver } from '../../test/fixtures/otlp-receiver.ts';
import type { OtlpReceiver } from '../../test/fixtures/otlp-receiver.ts';
import { createOtlpExporter, tracesUrl } from './otlp-exporter.ts';
import type { FinishedSpan } from './otlp-encode.ts';
import { unixNano } from './otlp-encode.ts';

const resource = {
  attributes: { 'service.name': 'portcullis' },
  scopeName: 'portcullis',
  scopeVersion: '0.1.0',
};

function span(index: number, overrides: Partial<FinishedSpan> = {}): FinishedSpan {
  return {
    traceId: 'a'.repeat(31) + (index % 10),
    spanId: 'b'.repeat(15) + (index % 10),
    parentSpanId: undefined,
    name: `tools/call t${index}`,
    kind: 'server',
    startMs: 1_700_000_000_000.25,
    endMs: 1_700_000_000_012.5,
    attributes: { 'mcp.method.name': 'tools/call', 'http.response.status_code': 200, ok: true },
    error: undefined,
    links: [],
    ...overrides,
  };
}

describe('OTLP exporter', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  it('appends /v1/traces to the endpoint once', () => {
    assert.equal(tracesUrl('http://c:4318'), 'http://c:4318/v1/traces');
    assert.equal(tracesUrl('http://c:4318/otlp/'), 'http://c:4318/otlp/v1/traces');
  });

  it('writes nanosecond timestamps exactly, past 2^53', () => {
    assert.equal(unixNano(1_700_000_000_000.25), '1700000000000250000');
    assert.equal(unixNano(1_700_000_000_123), '1700000000123000000');
  });

  it('sends queued spans in batches as OTLP JSON with the configured headers, and flushes on close', async () => {
    receiver.spans.length = 0;
    receiver.requests.length = 0;
    const exporter = createOtlpExporter({
      endpoint: receiver.url,
      headers: { 'x-api-key': 'k1' },
      resource,
      maxBatchSize: 4,
      scheduleDelayMs: 60_000,
    });
    for (let i = 0; i < 10; i++)
      exporter.export(
        span(i, i === 0 ? { kind: 'client', parentSpanId: 'c'.repeat(16), error: 'boom' } : {}),
      );
    await exporter.close();
    assert.deepEqual(receiver.rejected, []);
    assert.equal(receiver.spans.length, 10);
    assert.ok(receiver.requests.length >= 3, 'batches of at most 4');
    assert.equal(receiver.requests[0]!.headers['x-api-key'], 'k1');
    const first = receiver.spans[0]!;
    assert.equal(first.kind, 3);
    assert.equal(first.parentSpanId, 'c'.repeat(16));
    assert.deepEqual(first.status, { code: 2, message: 'boom' });
    assert.equal(first.startNs, 1_700_000_000_000_250_000n);
    assert.equal(first.endNs, 1_700_000_000_012_500_000n);
    assert.deepEqual(first.attributes, {
      'mcp.method.name': 'tools/call',
      'http.response.status_code': 200,
      ok: true,
    });
    assert.equal(first.resource['service.name'], 'portcullis');
    assert.equal(receiver.spans[1]!.kind, 2);
    assert.deepEqual(exporter.stats(), { queued: 0, exported: 10, dropped: 0, failed: 0 });
  });

  it('drops and counts spans beyond the queue bound without blocking the caller', async () => {
    const exporter = createOtlpExporter({
      endpoint: receiver.url,
      resource,
      maxQueueSize: 5,
      maxBatchSize: 100,
      scheduleDelayMs: 60_000,
    });
    const started = performance.now();
    for (let i = 0; i < 1000; i++) exporter.export(span(i));
    assert.ok(performance.now() - started < 200);
    assert.equal(exporter.stats().dropped, 995);
    await exporter.close();
    assert.equal(exporter.stats().exported, 5);
  });

  it('counts spans of a refused export as failed and keeps going', async () => {
    receiver.answerWith(503);
    try {
      const warnings: string[] = [];
      const exporter = createOtlpExporter({
        endpoint: receiver.url,
        resource,
        scheduleDelayMs: 60_000,
        logger: { warn: (_fields, message) => warnings.push(message) },
      });
      exporter.export(span(1));
      exporter.export(span(2));
      await exporter.flush();
      assert.deepEqual(exporter.stats(), { queued: 0, exported: 0, dropped: 0, failed: 2 });
      assert.deepEqual(warnings, ['OTLP export refused: HTTP 503']);
      await exporter.close();
    } finally {
      receiver.answerWith(200);
    }
  });

  it('counts spans as failed when the collector is unreachable, without throwing', async () => {
    const exporter = createOtlpExporter({
      endpoint: 'http://127.0.0.1:1',
      resource,
      scheduleDelayMs: 60_000,
      timeoutMs: 2_000,
    });
    exporter.export(span(1));
    await exporter.close();
    assert.deepEqual(exporter.stats(), { queued: 0, exported: 0, dropped: 0, failed: 1 });
  });

  it('refuses spans after close', async () => {
    const exporter = createOtlpExporter({ endpoint: receiver.url, resource });
    await exporter.close();
    exporter.export(span(1));
    assert.equal(exporter.stats().dropped, 1);
  });

  it('gives up on a collector that never answers once the close timeout passes, counting the rest as dropped', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const exporter = createOtlpExporter({
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        resource,
        maxBatchSize: 1,
        scheduleDelayMs: 60_000,
        closeTimeoutMs: 200,
      });
      for (let i = 0; i < 3; i++) exporter.export(span(i));
      const started = performance.now();
      await exporter.close();
      assert.ok(performance.now() - started < 2_000);
      const stats = exporter.stats();
      assert.equal(stats.exported, 0);
      assert.equal(stats.dropped, 2, 'the two batches never sent');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
