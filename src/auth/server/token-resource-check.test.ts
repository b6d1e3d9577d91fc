import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenResourceCheck } from './token-resource-check.ts';
import type { StoredTokenCredential } from './token-resource-check.ts';

const FIXTURE = 'https://gw.example/acme/fixture/mcp';
const SECOND = 'https://gw.example/acme/second/mcp';

function check(stored: StoredTokenCredential | undefined, reachable = true) {
  return createTokenResourceCheck({
    findCode: async (value) => (value === 'code-1' ? stored : undefined),
    findRefreshToken: async (value) => (value === 'refresh-1' ? stored : undefined),
    mayReach: async () => reachable,
  });
}

const credential = (extra: Partial<StoredTokenCredential> = {}): StoredTokenCredential => ({
  clientId: 'client-1',
  accountId: 'user-1',
  resourceIndicators: new Set([FIXTURE]),
  ...extra,
});

function refreshForm(resources: string[]) {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: 'refresh-1',
    client_id: 'client-1',
  });
  for (const resource of resources) form.append('resource', resource);
  return form;
}

describe('token resource check', () => {
  it('refuses a refresh for another resource or two with invalid_target', async () => {
    for (const resources of [[SECOND], [`${FIXTURE}/`], [FIXTURE, SECOND]]) {
      const refusal = await check(credential()).refusal(refreshForm(resources), undefined);
      assert.equal(refusal?.error, 'invalid_target', resources.join(' '));
    }
  });

  it('lets a refresh for its own resource, or none, through to the provider', async () => {
    assert.equal(await check(credential()).refusal(refreshForm([FIXTURE]), undefined), undefined);
    assert.equal(await check(credential()).refusal(refreshForm([]), undefined), undefined);
  });

  it('refuses a code or refresh token whose account can no longer reach the server with invalid_grant', async () => {
    const refused = await check(credential(), false).refusal(refreshForm([]), undefined);
    assert.equal(refused?.error, 'invalid_grant');
    const code = new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'code-1',
      client_id: 'client-1',
    });
    assert.equal(
      (await check(credential(), false).refusal(code, undefined))?.error,
      'invalid_grant',
    );
  });

  it("leaves consumed, unknown and another client's credentials to the provider (reuse revokes the grant)", async () => {
    const consumed = credential({ consumed: 1 });
    assert.equal(await check(consumed, false).refusal(refreshForm([SECOND]), undefined), undefined);
    assert.equal(
      await check(undefined, false).refusal(refreshForm([SECOND]), undefined),
      undefined,
    );
    const other = credential({ clientId: 'client-2' });
    assert.equal(await check(other, false).refusal(refreshForm([SECOND]), undefined), undefined);
  });

  it('reads the client from HTTP Basic authentication when the form has none', async () => {
    const form = refreshForm([SECOND]);
    form.delete('client_id');
    const basic = `Basic ${Buffer.from('client-1:secret').toString('base64')}`;
    assert.equal((await check(credential()).refusal(form, basic))?.error, 'invalid_target');
  });
});
