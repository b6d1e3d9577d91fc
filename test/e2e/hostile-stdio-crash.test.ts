/**
 * stdio servers that exit at the wrong moment, through a real gateway: the
 * caller gets a well-formed JSON-RPC error at once (not at the timeout), the
 * other servers keep answering, a server that crashes on every start is
 * backed off instead of respawned in a loop, and the record says what happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../support/child-processes.ts';
import { errorOf, startStdioHarness } from '../fixtures/hostile-stdio/harness.ts';
import type { StdioHarness } from '../fixtures/hostile-stdio/harness.ts';

const TIMEOUT_MS = 1_000;

describe('stdio servers that exit at the wrong moment', () => {
  let harness: StdioHarness;
  before(async () => {
    harness = await startStdioHarness(
      ['exit-mid-call', 'signal-mid-call', 'exit-on-init', 'crash-at-start', 'answer-then-exit'],
      { timeoutMs: TIMEOUT_MS },
    );
  });
  after(() => harness.close());

  const assertHonestAnswers = async (): Promise<void> => {
    const answer = await harness.call('honest');
    assert.deepEqual((answer.json as { result: unknown }).result, {
      content: [{ type: 'text', text: 'ok' }],
    });
  };

  for (const [mode, how] of [
    ['exit-mid-call', /code 1/],
    ['signal-mid-call', /SIGKILL/],
  ] as const)
    it(`answers a call whose child exits mid-call (${mode}) with an error naming the exit, at once`, async () => {
      const answer = await harness.call(mode);
      const error = errorOf(answer);
      assert.ok(error, JSON.stringify(answer.json));
      assert.match(error.message, how);
      assert.ok(answer.elapsedMs < TIMEOUT_MS / 2, `answered after ${answer.elapsedMs} ms`);
      await assertHonestAnswers();
    });

  it('answers an initialize whose child exits during it with a well-formed error, at once', async () => {
    const startedAt = Date.now();
    const { init } = await harness.open('exit-on-init');
    const error = errorOf(init);
    assert.ok(error, `${init.status} ${init.text}`);
    assert.match(error.message, /exited \(code 1\)/);
    assert.ok(Date.now() - startedAt < TIMEOUT_MS / 2);
    await assertHonestAnswers();
  });

  it('backs off a child that crashes on every start instead of respawning it per request', async () => {
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push((await harness.open('crash-at-start')).init);
    for (const answer of answers) assert.ok(errorOf(answer), `${answer.status} ${answer.text}`);
    assert.match(errorOf(answers.at(-1)!)!.message, /crashed \d+ times in a row; next start in/);
    const started = (await harness.pids('crash-at-start')).length;
    assert.ok(started <= 4, `${started} processes started for 8 requests`);
    await assertHonestAnswers();
  });

  it('delivers the answer a child writes right before it exits', async () => {
    // Two exits in a row: a third start would be backed off.
    for (let i = 0; i < 2; i++) {
      // Each call goes to a fresh process: a call sent while the last one exits may fail.
      const last = (await harness.pids('answer-then-exit')).at(-1);
      while (last !== undefined && isAlive(last)) await sleep(20);
      await sleep(300);
      const answer = await harness.call('answer-then-exit');
      const result = (answer.json as { result?: { content: Array<{ text: string }> } }).result;
      assert.match(
        result?.content[0]?.text ?? '',
        /^last words$/,
        JSON.stringify(answer.json).slice(0, 300),
      );
    }
  });

  it('records each failed call as an error with the upstream error code', async () => {
    const records = await harness.closeAndReadRecords();
    for (const server of ['exit-mid-call', 'signal-mid-call']) {
      const record = records.find((r) => r.serverId === server && r.method === 'tools/call');
      assert.equal(record?.status, 'error', JSON.stringify(record));
      assert.equal(typeof record.errorCode, 'number');
    }
    const init = records.find((r) => r.serverId === 'exit-on-init' && r.method === 'initialize');
    assert.equal(init?.status, 'error');
  });
});
