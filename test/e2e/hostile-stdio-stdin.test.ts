/**
 * A stdio server that stops reading its stdin, through a real gateway: the
 * gateway's writes back up in the pipe, yet calls time out cleanly, other
 * servers keep answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, startStdioHarness } from '../fixtures/hostile-stdio/harness.ts';
import type { StdioHarness } from '../fixtures/hostile-stdio/harness.ts';
import { mcpPost } from '../support/mcp-http.ts';

const TIMEOUT_MS = 1_000;

describe('a stdio server that stops reading its stdin', () => {
  let harness: StdioHarness;
  before(async () => {
    harness = await startStdioHarness(['stop-reading'], { timeoutMs: TIMEOUT_MS });
  });
  after(() => harness.close());

  it('times out 50 calls of 4 MB each cleanly while the other servers keep answering', async () => {
    // The first call makes the child stop reading.
    const first = await harness.call('stop-reading');
    assert.equal(errorOf(first)?.code, -32002, JSON.stringify(first.json));
    const { headers } = await harness.open('stop-reading');
    const big = 'x'.repeat(4 * 1024 * 1024);
    const startedAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        mcpPost(
          harness.gateway.endpoint('stop-reading'),
          {
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: 'misbehave', arguments: { big } },
          },
          headers,
        ),
      ),
    );
    for (const answer of answers) assert.ok(errorOf(answer), JSON.stringify(answer.json));
    assert.ok(Date.now() - startedAt < TIMEOUT_MS * 4, `${Date.now() - startedAt} ms`);
    const honest = await harness.call('honest');
    assert.equal(errorOf(honest), undefined);
  });
});
