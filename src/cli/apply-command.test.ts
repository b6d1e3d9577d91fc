import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import { freePort } from '../../test/support/free-port.ts';
import { POLICY_CHANNEL } from '../policy/policy-notices.ts';
import { CONFIG_CHANNEL } from '../shared-state/config-notices.ts';
import { createSharedState } from '../shared-state/shared-state.ts';
import type { SharedState } from '../shared-state/shared-state.ts';
import { createStore } from '../store/create-store.ts';
import type { CliIo } from './cli-command.ts';
import { runCli } from './run-cli.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-apply-'));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = { warn: () => undefined, info: () => undefined };

const yaml = (policy: string) => `users:
  - email: admin@acme.test
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
    servers:
      - id: governed
        transport: http
        url: http://127.0.0.1:3001/mcp
        policy: { tools: { ${policy}: { enabled: false } } }
      - id: open
        transport: http
        url: http://127.0.0.1:3002/mcp
`;

let files = 0;
async function apply(text: string, env: Record<string, string>) {
  const file = path.join(root, `config-${++files}.yaml`);
  writeFileSync(file, text);
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
    stopSignal: () => new Promise(() => undefined),
  };
  const code = await runCli(['apply', '-f', file], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('portcullis apply tells running instances', { skip: redisUnavailableReason() }, () => {
  let redis: TestRedis;
  let listener: SharedState;
  const heard: Array<[string, string]> = [];
  before(async () => {
    redis = await startTestRedis();
    listener = createSharedState({ redisUrl: redis.url, logger: quiet });
    for (const channel of [CONFIG_CHANNEL, POLICY_CHANNEL])
      await listener.notices.subscribe(channel, (payload) => heard.push([channel, payload]));
  });
  after(async () => {
    await listener?.close();
    await redis?.close();
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  it('publishes a configuration notice, and a policy notice for each changed declared policy', async () => {
    const env = { PORTCULLIS_DATA_DIR: path.join(root, 'told'), PORTCULLIS_REDIS_URL: redis.url };
    const first = await apply(yaml('echo'), env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /Running instances were told to reload\.$/);
    await settle();
    assert.deepEqual(
      heard.map(([channel]) => channel),
      [POLICY_CHANNEL, CONFIG_CHANNEL],
    );
    const policy = JSON.parse(heard[0]![1]) as Record<string, unknown>;
    assert.equal(policy.key, 'acme/governed');
    assert.deepEqual(policy.kinds, ['tools', 'resources', 'prompts']);
    // Every instance reloads on a notice that is not its own: the sender is no instance.
    assert.equal(policy.from, heard[1]![1]);
    assert.match(heard[1]![1], /^apply:[0-9a-f-]{36}$/);

    heard.length = 0;
    const again = await apply(yaml('echo'), env);
    assert.equal(again.code, 0, again.err);
    await settle();
    assert.deepEqual(
      heard.map(([channel]) => channel),
      [CONFIG_CHANNEL],
      'an unchanged policy is not announced',
    );
  });
});

describe('portcullis apply with an unreachable Redis', () => {
  it('keeps the applied change, warns that instances were not told and exits 0', async () => {
    const dataDir = path.join(root, 'unreachable');
    const { code, out, err } = await apply(yaml('echo'), {
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    assert.equal(code, 0, err);
    assert.match(out, /servers: 2 created/);
    assert.doesNotMatch(out, /were told/);
    assert.match(
      err,
      /^warning: running instances were not told \(.+\); they apply servers, members and api keys at their next start or admin change$/m,
    );
    const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, 'portcullis.db') });
    try {
      assert.equal((await store.servers.list('acme')).length, 2);
    } finally {
      await store.close();
    }
  });
});
