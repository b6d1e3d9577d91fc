import assert from 'node:assert/strict';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JsonRpcMessage, JsonRpcRequest } from '../mcp/json-rpc.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { GatewayError } from '../shared/errors.ts';
import { createChildReaper } from './child-reaper.ts';
import type { ChildReaper } from './child-reaper.ts';
import { createStdioUpstream } from './stdio.ts';
import type { StdioDeps, StdioUpstream } from './stdio.ts';
import type { UpstreamOutcome } from './upstream.ts';

const fixture = fileURLToPath(
  new URL('../../test/fixtures/fixture-server/main.ts', import.meta.url),
);
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const open: StdioUpstream[] = [];

function start(
  args: string[] = [fixture, '--stdio', '--era', 'legacy'],
  options: StdioDeps['options'] = {},
  log: StdioDeps['log'] = quiet,
  extra: { cwd?: string; reaper?: ChildReaper } = {},
): StdioUpstream {
  const upstream = createStdioUpstream(
    'acme/stdio',
    { command: process.execPath, args, env: { FIXTURE_MARK: 'declared' }, cwd: extra.cwd },
    {
      log,
      reaper: extra.reaper ?? createChildReaper(),
      baseEnv: { PATH: '/usr/bin' },
      options,
    },
  );
  open.push(upstream);
  return upstream;
}

const initialize = (id: string | number, capabilities: object = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: { ...capabilities },
    clientInfo: { name: 'unit', version: '1' },
  },
});

const elicitation = { elicitation: { form: {} } };

async function openSession(
  upstream: StdioUpstream,
  id: string | number = 'init',
  capabilities: object = {},
): Promise<string> {
  const outcome = await upstream.post(initialize(id, capabilities), { timeoutMs: 10_000 });
  assert.equal(outcome.kind, 'json');
  if (outcome.kind !== 'json') throw new Error('unreachable');
  assert.equal((outcome.message as { id: unknown }).id, id);
  return outcome.sessionId!;
}

async function collect(outcome: UpstreamOutcome): Promise<JsonRpcMessage[]> {
  assert.equal(outcome.kind, 'stream');
  const messages: JsonRpcMessage[] = [];
  if (outcome.kind === 'stream')
    for await (const item of outcome.messages) if (item.message) messages.push(item.message);
  return messages;
}

const callTool = (id: string | number, name: string, args: object, meta?: object) => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  await Promise.all(open.splice(0).map((upstream) => upstream.close()));
});

describe('stdio upstream', () => {
  it('initializes one process once and shares it between sessions', async () => {
    const upstream = start();
    const first = await openSession(upstream, 1);
    const second = await openSession(upstream, 'again');
    assert.equal(first, second);
    const pid = upstream.state().pid!;
    assert.ok(alive(pid));
    const absorbed = await upstream.post(
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { sessionId: first, timeoutMs: 5_000 },
    );
    assert.equal(absorbed.kind, 'accepted');
    assert.equal(upstream.state().pid, pid);
  });

  it('maps colliding ids and progress tokens of concurrent callers back to each caller', async () => {
    const upstream = start();
    const session = await openSession(upstream);
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const outcome = await upstream.post(
          callTool(7, 'json_schema_2020_12_tool', { name: `caller-${i}`, email: 'a@b.test' }),
          { sessionId: session, timeoutMs: 10_000 },
        );
        return collect(outcome);
      }),
    );
    answers.forEach((messages, i) => {
      const [answer] = messages as unknown as Array<{
        id: unknown;
        result: { content: [{ text: string }] };
      }>;
      assert.equal(answer!.id, 7);
      assert.match(answer!.result.content[0].text, new RegExp(`caller-${i}"`));
    });
    const progress = await collect(
      await upstream.post(callTool('p', 'test_tool_with_progress', {}, { progressToken: 'tok' }), {
        sessionId: session,
        timeoutMs: 10_000,
      }),
    );
    const tokens = (progress as Array<{ method?: string; params?: { progressToken?: unknown } }>)
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => m.params?.progressToken);
    assert.deepEqual(tokens, ['tok', 'tok', 'tok']);
    assert.equal((progress.at(-1) as { id: unknown }).id, 'p');
  });

  it('fails in-flight calls at once when the process dies, then starts a new one', async () => {
    const upstream = start();
    const session = await openSession(upstream, 'init', elicitation);
    const pid = upstream.state().pid!;
    const outcome = await upstream.post(callTool('slow', 'test_elicitation', { message: 'hi' }), {
      sessionId: session,
      timeoutMs: 30_000,
    });
    const started = Date.now();
    process.kill(pid, 'SIGKILL');
    await assert.rejects(collect(outcome), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_unavailable');
      return true;
    });
    assert.ok(Date.now() - started < 1_000);
    const stale = await upstream.post(callTool(2, 'test_simple_text', {}), {
      sessionId: session,
      timeoutMs: 5_000,
    });
    assert.equal(stale.kind, 'session-gone');
    const fresh = await openSession(upstream);
    assert.notEqual(fresh, session);
    assert.notEqual(upstream.state().pid, pid);
    assert.equal(upstream.state().restarts, 1);
    const [answer] = await collect(
      await upstream.post(callTool(3, 'test_simple_text', {}), {
        sessionId: fresh,
        timeoutMs: 5_000,
      }),
    );
    assert.equal((answer as { id: unknown }).id, 3);
  });

  it('sends a server→client request to the one call in flight when its client declared the capability', async () => {
    const upstream = start();
    await openSession(upstream, 'first', {});
    const session = await openSession(upstream, 'second', elicitation);
    const outcome = await upstream.post(callTool('ask', 'test_elicitation', { message: 'who?' }), {
      sessionId: session,
      timeoutMs: 10_000,
    });
    assert.equal(outcome.kind, 'stream');
    if (outcome.kind !== 'stream') return;
    const reader = outcome.messages[Symbol.asyncIterator]();
    const asked = (await reader.next()).value as { message: JsonRpcRequest };
    assert.equal(asked.message.method, 'elicitation/create');
    await upstream.post(
      {
        jsonrpc: '2.0',
        id: asked.message.id,
        result: { action: 'accept', content: { username: 'ada', email: 'ada@example.test' } },
      },
      { sessionId: session, timeoutMs: 5_000 },
    );
    const answer = (await reader.next()).value as { message: { id: unknown; result: object } };
    assert.equal(answer.message.id, 'ask');
    assert.match(JSON.stringify(answer.message.result), /ada/);
  });

  it('answers the server itself when the caller did not declare the capability', async () => {
    const upstream = start();
    await openSession(upstream, 'first', elicitation);
    const session = await openSession(upstream, 'second', {});
    const messages = await collect(
      await upstream.post(callTool('ask', 'test_elicitation', { message: 'who?' }), {
        sessionId: session,
        timeoutMs: 10_000,
      }),
    );
    assert.ok(messages.every((message) => !('method' in message)));
    assert.equal((messages.at(-1) as { id: unknown }).id, 'ask');
  });

  it('answers the server itself when more than one call is in flight', async () => {
    const upstream = start();
    const holder = await openSession(upstream, 'holder', elicitation);
    const other = await openSession(upstream, 'other', { ...elicitation, sampling: {} });
    const held = await upstream.post(callTool('held', 'test_elicitation', { message: 'wait' }), {
      sessionId: holder,
      timeoutMs: 10_000,
    });
    assert.equal(held.kind, 'stream');
    if (held.kind !== 'stream') return;
    const reader = held.messages[Symbol.asyncIterator]();
    assert.equal(
      ((await reader.next()).value as { message: JsonRpcRequest }).message.method,
      'elicitation/create',
    );
    const messages = await collect(
      await upstream.post(callTool('second', 'test_elicitation', { message: 'who?' }), {
        sessionId: other,
        timeoutMs: 10_000,
      }),
    );
    assert.ok(messages.every((message) => !('method' in message)));
    assert.equal((messages.at(-1) as { id: unknown }).id, 'second');
    await reader.return?.();
  });

  it('backs off a server that keeps crashing, and reports it', async () => {
    const upstream = start(['-e', 'process.exit(3)'], { backoffBaseMs: 5_000 });
    for (let attempt = 0; attempt < 2; attempt++)
      await assert.rejects(upstream.post(initialize(attempt), { timeoutMs: 2_000 }));
    const state = upstream.state();
    assert.equal(state.running, false);
    assert.equal(state.consecutiveCrashes, 2);
    assert.match(state.lastError!, /code 3/);
    assert.ok(state.backoffMs > 4_000);
    const started = Date.now();
    await assert.rejects(upstream.post(initialize(9), { timeoutMs: 2_000 }), /next start in/);
    assert.ok(Date.now() - started < 500);
  });

  it('stops an idle process after its TTL; the old session is then gone', async () => {
    const upstream = start(undefined, { idleMs: 300 });
    const session = await openSession(upstream);
    const pid = upstream.state().pid!;
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pid), false);
    assert.equal(upstream.state().restarts, 0);
    const stale = await upstream.post(callTool(1, 'test_simple_text', {}), {
      sessionId: session,
      timeoutMs: 5_000,
    });
    assert.equal(stale.kind, 'session-gone');
  });

  it('runs the child with PATH, HOME and the declared env only, and logs its stderr', async () => {
    const lines: string[] = [];
    const log = { ...quiet, info: (_: object, line: string) => lines.push(line) };
    const script = `process.stderr.write(Object.keys(process.env).sort().join(',') + '\\n');
      process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));`;
    const upstream = start(['-e', script], { idleMs: 60_000 }, log);
    const pending = upstream.post(initialize(1), { timeoutMs: 300 });
    await assert.rejects(pending);
    const deadline = Date.now() + 3_000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lines[0]!.split(','), ['FIXTURE_MARK', 'PATH']);
  });

  it('opens sealed env values for the child, and refuses values no key opens', async () => {
    const vault = createVault({ secretKey: 'stdio-test-secret-key-0123456789abcdef' });
    const lines: string[] = [];
    const log = { ...quiet, info: (_: object, line: string) => lines.push(line) };
    const script = `process.stderr.write(process.env.SEALED + '|' + process.env.LITERAL + '\\n');
      process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));`;
    const deps = {
      log,
      reaper: createChildReaper(),
      baseEnv: {},
      vault,
      options: { idleMs: 60_000 },
    };
    const env = { SEALED: vault.seal('server-env', 'opened value'), LITERAL: 'as is' };
    const upstream = createStdioUpstream(
      'acme/sealed',
      { command: process.execPath, args: ['-e', script], env },
      deps,
    );
    open.push(upstream);
    await assert.rejects(upstream.post(initialize(1), { timeoutMs: 300 }));
    const deadline = Date.now() + 3_000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lines[0], 'opened value|as is');

    const foreign = createVault({ secretKey: 'another-stdio-test-key-0123456789abcdef' });
    assert.throws(
      () =>
        createStdioUpstream(
          'acme/foreign',
          {
            command: process.execPath,
            args: [],
            env: { TOKEN: foreign.seal('server-env', 'secret') },
          },
          deps,
        ),
      (error: unknown) =>
        error instanceof GatewayError &&
        error.code === 'secret_unreadable' &&
        /TOKEN of server acme\/foreign/.test(error.message) &&
        !error.message.includes("secret'"),
    );
  });

  it('runs the child in the declared working directory', async () => {
    const lines: string[] = [];
    const log = { ...quiet, info: (_: object, line: string) => lines.push(line) };
    const script = `process.stderr.write(process.cwd() + '\\n');
      process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));`;
    const cwd = await realpath(tmpdir());
    const upstream = start(['-e', script], { idleMs: 60_000 }, log, { cwd });
    await assert.rejects(upstream.post(initialize(1), { timeoutMs: 300 }));
    const deadline = Date.now() + 3_000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lines[0], cwd);
  });

  it('refuses to start one process more than the per-instance cap, with a clear error', async () => {
    const reaper = createChildReaper();
    const first = start(undefined, { maxProcesses: 1 }, quiet, { reaper });
    const second = start(undefined, { maxProcesses: 1 }, quiet, { reaper });
    await openSession(first);
    await assert.rejects(second.post(initialize(1), { timeoutMs: 5_000 }), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_unavailable');
      assert.match(error.message, /already runs 1 stdio server processes/);
      return true;
    });
    assert.equal(second.state().restarts, 0, 'a refused start is not a crash');
    await first.close();
    await openSession(second);
    assert.equal(reaper.pids().length, 1);
  });

  it('leaves no child behind after close', async () => {
    const upstream = start(undefined, { graceMs: 300 });
    await openSession(upstream);
    const pid = upstream.state().pid!;
    await upstream.close();
    assert.equal(alive(pid), false);
  });
});
