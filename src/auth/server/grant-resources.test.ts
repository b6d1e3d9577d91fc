import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../store/create-store.ts';
import type { OAuthArtefact } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import {
  grantCovers,
  withdrawFromAccountGrants,
  withdrawGrantResources,
} from './grant-resources.ts';

const A = 'https://gateway.example.com/acme/github/mcp';
const B = 'https://gateway.example.com/beta/github/mcp';
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = new Date('2030-01-02T00:00:00Z');

function grantOf(resources: Record<string, string>, expiresAt: Date | null = LATER): OAuthArtefact {
  return {
    model: 'Grant',
    id: 'g1',
    payload: { accountId: 'u1', clientId: 'c1', resources },
    grantId: null,
    uid: null,
    userCode: null,
    accountId: 'u1',
    clientId: 'c1',
    expiresAt,
    consumedAt: null,
  };
}

describe('grantCovers', () => {
  it('holds while the grant is unexpired and covers the audience', () => {
    assert.equal(grantCovers(grantOf({ [A]: 'mcp', [B]: 'mcp' }), [A], NOW), true);
    assert.equal(grantCovers(grantOf({ [A]: 'mcp' }, null), [A], NOW), true);
  });

  it('fails for a missing or expired grant, or an audience it does not cover', () => {
    assert.equal(grantCovers(undefined, [A], NOW), false);
    assert.equal(grantCovers(grantOf({ [A]: 'mcp' }, NOW), [A], NOW), false);
    assert.equal(grantCovers(grantOf({ [B]: 'mcp' }), [A], NOW), false);
    assert.equal(grantCovers(grantOf({ [A]: 'mcp' }), [A, B], NOW), false);
    assert.equal(grantCovers(grantOf({ [A]: 'mcp' }), [], NOW), false);
    assert.equal(grantCovers({ ...grantOf({}), payload: {} }, [A], NOW), false);
  });
});

describe('withdrawGrantResources', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'grant-resources-'));
    store = await createStore({ kind: 'sqlite', file: path.join(dir, 'test.sqlite') });
    await store.migrate();
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function seed(resources: string[]): Promise<OAuthArtefact> {
    const payload = {
      accountId: 'u1',
      clientId: 'c1',
      resources: Object.fromEntries(resources.map((url) => [url, 'mcp'])),
    };
    await store.oauthArtefacts.upsert('Grant', 'g1', {
      payload,
      accountId: 'u1',
      clientId: 'c1',
      expiresAt: LATER,
    });
    for (const [index, resource] of resources.entries())
      for (const model of ['RefreshToken', 'AuthorizationCode'])
        await store.oauthArtefacts.upsert(model, `${model}-${index}`, {
          payload: { accountId: 'u1', clientId: 'c1', grantId: 'g1', resource },
          grantId: 'g1',
          accountId: 'u1',
          clientId: 'c1',
          expiresAt: LATER,
        });
    return (await store.oauthArtefacts.find('Grant', 'g1'))!;
  }

  const left = async (model: string) =>
    (await store.oauthArtefacts.listByModel(model)).map((artefact) => artefact.payload.resource);

  it("narrows a grant reaching elsewhere, ending only the withdrawn resource's tokens", async () => {
    const grant = await seed([A, B]);
    const result = await withdrawGrantResources(store, grant, (url) => url === A, NOW);
    assert.equal(result.kind, 'narrowed');
    const stored = await store.oauthArtefacts.find('Grant', 'g1');
    assert.deepEqual(stored?.payload.resources, { [B]: 'mcp' });
    assert.equal(stored?.accountId, 'u1');
    assert.deepEqual(stored?.expiresAt, LATER);
    assert.deepEqual(await left('RefreshToken'), [B]);
    assert.deepEqual(await left('AuthorizationCode'), [B]);
    assert.equal(grantCovers(stored, [A], NOW), false);
    assert.equal(grantCovers(stored, [B], NOW), true);
    await store.oauthArtefacts.revokeByGrantId('g1');
  });

  it('revokes a grant whole when nothing else is left', async () => {
    const grant = await seed([A]);
    const result = await withdrawGrantResources(store, grant, (url) => url === A, NOW);
    assert.equal(result.kind, 'revoked');
    assert.equal(await store.oauthArtefacts.find('Grant', 'g1'), undefined);
    assert.deepEqual(await left('RefreshToken'), []);
    assert.deepEqual(await left('AuthorizationCode'), []);
  });

  it("withdraws a workspace from every grant of one account, leaving others' grants alone", async () => {
    const grants: [string, string, string[]][] = [
      ['both', 'u2', [A, B]],
      ['only-a', 'u2', [A]],
      ['only-b', 'u2', [B]],
      ['someone-else', 'u3', [A]],
    ];
    for (const [id, accountId, resources] of grants)
      await store.oauthArtefacts.upsert('Grant', id, {
        payload: { accountId, resources: Object.fromEntries(resources.map((url) => [url, 'mcp'])) },
        accountId,
        clientId: `client-${id}`,
        expiresAt: LATER,
      });
    const inAcme = (url: string) => url.startsWith('https://gateway.example.com/acme/');
    const changed = await withdrawFromAccountGrants(store, 'u2', inAcme, NOW);
    assert.deepEqual(changed.map(({ before, withdrawal }) => [before.id, withdrawal.kind]).sort(), [
      ['both', 'narrowed'],
      ['only-a', 'revoked'],
    ]);
    const resourcesOf = async (id: string) =>
      Object.keys((await store.oauthArtefacts.find('Grant', id))?.payload.resources ?? {});
    assert.deepEqual(await resourcesOf('both'), [B]);
    assert.equal(await store.oauthArtefacts.find('Grant', 'only-a'), undefined);
    assert.deepEqual(await resourcesOf('only-b'), [B]);
    assert.deepEqual(await resourcesOf('someone-else'), [A]);
  });
});
