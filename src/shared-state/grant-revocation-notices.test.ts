import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createMemoryNoticeBus } from './notice-bus.ts';
import type { NoticeBus } from './notice-bus.ts';
import { createGrantRevocationNotices } from './grant-revocation-notices.ts';

const logger = pino({ level: 'silent' });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('grant revocation notices', () => {
  it('forgets the grant here at once and on every other instance on the notice', async () => {
    const bus = createMemoryNoticeBus(logger);
    const here: string[] = [];
    const there: string[] = [];
    const local = await createGrantRevocationNotices(bus, (id) => here.push(id), logger);
    const other = await createGrantRevocationNotices(bus, (id) => there.push(id), logger);
    local.announce('grant-1');
    assert.deepEqual(here, ['grant-1'], 'before any notice arrives');
    await settle();
    assert.deepEqual(there, ['grant-1']);
    await local.close();
    await other.close();
    local.announce('grant-2');
    await settle();
    assert.deepEqual(there, ['grant-1'], 'a closed listener hears nothing');
  });

  it('still forgets locally when the notice cannot be published', async () => {
    const warnings: unknown[] = [];
    const broken: NoticeBus = {
      publish: () => Promise.reject(new Error('redis down')),
      subscribe: async () => async () => undefined,
    };
    const forgotten: string[] = [];
    const notices = await createGrantRevocationNotices(broken, (id) => forgotten.push(id), {
      warn: (...args: unknown[]) => void warnings.push(args),
    });
    notices.announce('grant-1');
    await settle();
    assert.deepEqual(forgotten, ['grant-1']);
    assert.equal(warnings.length, 1);
  });
});
