/**
 * stdio servers whose stdout is hostile, through a real gateway: a line that
 * never ends, a flood of notifications, answers on stderr, a BOM and CRLF,
 * JSON that is not JSON-RPC, answers with the wrong id. The caller gets a
 * well-formed JSON-RPC answer within the server's timeout and other servers
 * keep answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, startStdioHarness } from '../fixtures/hostile-stdio/harness.ts';
import type { StdioHarness } from '../fixtures/hostile-stdio/harness.ts';

const TIMEOUT_MS = 1_000;
const MARGIN_MS = 1_000;

describe('stdio servers with hostile output', () => {
  let harness: StdioHarness;
  before(async () => {
    harness = await startStdioHarness(
      ['huge-line', 'huge-line-then-answer', 'flood', 'stderr-rpc', 'bom-crlf', 'noise'],
      { timeoutMs: TIMEOUT_MS },
    );
  });
  after(() => harness.close());

  const textOf = (json: unknown): string | undefined =>
    (json as { result?: { content: Array<{ text: string }> } }).result?.content[0]?.text;

  it('times out a call answered by a 100 MB line with no newline, without buffering it', async () => {
    const rss = process.memoryUsage().rss;
    const answer = await harness.call('huge-line');
    assert.equal(errorOf(answer)?.code, -32002, JSON.stringify(answer.json));
    assert.ok(answer.elapsedMs < TIMEOUT_MS + MARGIN_MS, `${answer.elapsedMs} ms`);
    assert.equal(textOf((await harness.call('honest')).json), 'ok');
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < 100 * 1024 * 1024, `rss grew by ${grown} bytes`);
  });

  it('skips an oversized line and delivers the answer after it', async () => {
    const answer = await harness.call('huge-line-then-answer');
    assert.equal(textOf(answer.json), 'after the long line', JSON.stringify(answer.json));
  });

  it('answers a call drowned in a million notifications with a well-formed answer in time', async () => {
    const answer = await harness.call('flood');
    assert.ok(answer.json !== null && typeof answer.json === 'object');
    assert.ok(errorOf(answer) !== undefined || textOf(answer.json) === 'after the flood');
    assert.ok(answer.elapsedMs < TIMEOUT_MS + MARGIN_MS * 2, `${answer.elapsedMs} ms`);
    assert.equal(textOf((await harness.call('honest')).json), 'ok');
  });

  it('times out cleanly when the answers go to stderr', async () => {
    const answer = await harness.call('stderr-rpc');
    assert.equal(errorOf(answer)?.code, -32002, JSON.stringify(answer.json));
    assert.match(errorOf(answer)!.message, /did not answer within/);
  });

  it('reads lines that start with a byte order mark and end in CRLF', async () => {
    const { init } = await harness.open('bom-crlf');
    assert.equal(init.status, 200, init.text);
    const answer = await harness.call('bom-crlf');
    assert.equal(textOf(answer.json), 'ok', JSON.stringify(answer.json));
  });

  it('ignores JSON that is not JSON-RPC and answers to other ids, and delivers the real answer', async () => {
    const answer = await harness.call('noise');
    assert.equal(textOf(answer.json), 'the real answer', JSON.stringify(answer.json));
    assert.equal((answer.json as { id: unknown }).id, 7);
    assert.equal(answer.messages.length, 1, JSON.stringify(answer.messages));
  });
});
