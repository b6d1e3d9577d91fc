import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cleanTracestate,
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
} from './tracing-context.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses a version-00 traceparent into trace id, parent id and the sampled flag', () => {
    assert.deepEqual(parseTraceparent(VALID), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
    assert.equal(parseTraceparent(VALID.replace(/-01$/, '-00'))?.sampled, false);
  });

  it('ignores malformed values instead of failing', () => {
    for (const bad of [
      undefined,
      42,
      '',
      'garbage',
      VALID.toUpperCase(),
      VALID.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)),
      VALID.replace('00f067aa0ba902b7', '0'.repeat(16)),
      VALID.replace(/^00/, 'ff'),
      `${VALID}-extra`,
      VALID.slice(0, -1),
    ])
      assert.equal(parseTraceparent(bad), undefined, String(bad));
  });

  it('reads a later version by its version-00 prefix', () => {
    assert.equal(parseTraceparent(`01${VALID.slice(2)}-future`)?.spanId, '00f067aa0ba902b7');
  });

  it('formats what it parses', () => {
    assert.equal(formatTraceparent(parseTraceparent(VALID)!), VALID);
  });

  it('keeps a plausible tracestate and drops a non-ASCII or oversized one', () => {
    assert.equal(cleanTracestate(' rojo=00f067aa0ba902b7 '), 'rojo=00f067aa0ba902b7');
    assert.equal(cleanTracestate('a=\u00e9'), undefined);
    assert.equal(cleanTracestate('a'.repeat(9000)), undefined);
    assert.equal(cleanTracestate(undefined), undefined);
  });

  it('makes distinct lower-case hex ids of the right length', () => {
    const traces = new Set(Array.from({ length: 1000 }, newTraceId));
    const spans = new Set(Array.from({ length: 1000 }, newSpanId));
    assert.equal(traces.size, 1000);
    assert.equal(spans.size, 1000);
    for (const id of traces) assert.match(id, /^[0-9a-f]{32}$/);
    for (const id of spans) assert.match(id, /^[0-9a-f]{16}$/);
  });
});
