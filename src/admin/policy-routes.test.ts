import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const URL = '/api/v1/workspaces/acme/servers/github';

describe('policy routes', () => {
  let t: AdminTestApp;
  const versions = async () => (await t.store.serverPolicies.history('acme', 'github')).length;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('a server without a policy reads as version 0 with everything open', async () => {
    const response = await call(t, 'GET', `${URL}/policy`, t.bearer('admin'));
    assert.equal(response.status, 200);
    assert.equal(response.json().version, 0);
    assert.equal(response.json().document.mode, 'open');
  });

  it('refuses invalid documents with 400 naming the field, storing nothing', async () => {
    for (const [body, field] of [
      [{ mode: 'sometimes' }, 'body.mode'],
      [{ tools: { echo: { enabled: 1 } } }, 'body.tools.echo.enabled'],
      [{ tools: { echo: { roles: { guest: true } } } }, 'body.tools.echo.roles'],
      [{ tools: { echo: { name: 'a b' } } }, 'body.tools.echo.name'],
      [{ tools: { echo: { name: 'add' }, add: {} } }, 'body.tools.add.name'],
      [{ tools: { echo: { members: { 'nobody@x.test': true } } } }, 'body.tools.echo.members'],
      [{ security: { timeout_ms: 1 } }, 'body.security.timeout_ms'],
      [{ surprise: true }, 'body'],
    ] as const) {
      const response = await call(t, 'PUT', `${URL}/policy`, t.bearer('admin'), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')));
    }
    assert.equal(await versions(), 0);
  });

  it('members and viewers may not read or change a policy', async () => {
    for (const person of ['member', 'viewer'] as const) {
      const read = await call(t, 'GET', `${URL}/policy`, t.bearer(person));
      const write = await call(t, 'PUT', `${URL}/policy`, t.bearer(person), {});
      assert.ok([403, 404].includes(read.status), `${person} read ${read.status}`);
      assert.ok([403, 404].includes(write.status), `${person} write ${write.status}`);
    }
    assert.equal(await versions(), 0);
  });

  it('PUT saves a new version; expected_version guards against lost updates', async () => {
    const first = await call(t, 'PUT', `${URL}/policy`, t.bearer('admin'), { mode: 'allowlist' });
    assert.equal(first.status, 200);
    assert.equal(first.json().version, 1);
    const second = await call(t, 'PUT', `${URL}/policy?expected_version=1`, t.bearer('owner'), {});
    assert.equal(second.json().version, 2);
    const stale = await call(t, 'PUT', `${URL}/policy?expected_version=1`, t.bearer('owner'), {});
    assert.equal(stale.status, 409);
    const history = await call(t, 'GET', `${URL}/policy/history`, t.bearer('admin'));
    assert.deepEqual(
      history.json().map((v: { version: number }) => v.version),
      [2, 1],
    );
  });

  it('approve, quarantine and diff of a tool never seen are 404', async () => {
    for (const action of ['approve', 'quarantine'])
      assert.equal(
        (await call(t, 'POST', `${URL}/tools/nope/${action}`, t.bearer('admin'))).status,
        404,
      );
    assert.equal((await call(t, 'GET', `${URL}/tools/nope/diff`, t.bearer('admin'))).status, 404);
  });

  it('quarantine needs pinning on; approve in allowlist mode enables the tool', async () => {
    await t.store.toolPins.observe({
      workspaceId: 'acme',
      serverId: 'github',
      tool: 'search',
      hash: 'h1',
      definition: { name: 'search' },
      at: new Date(),
      approveIfNew: false,
    });
    await call(t, 'PUT', `${URL}/policy`, t.bearer('admin'), { mode: 'allowlist' });
    const refused = await call(t, 'POST', `${URL}/tools/search/quarantine`, t.bearer('admin'));
    assert.equal(refused.status, 409);
    const listed = await call(t, 'GET', `${URL}/tools`, t.bearer('admin'));
    assert.equal(listed.json()[0].state, 'pending');
    const approved = await call(t, 'POST', `${URL}/tools/search/approve`, t.bearer('admin'));
    assert.equal(approved.status, 200);
    assert.equal(approved.json().state, 'visible');
    const policy = await call(t, 'GET', `${URL}/policy`, t.bearer('admin'));
    assert.equal(policy.json().document.tools.search.enabled, true);
    await call(t, 'PUT', `${URL}/policy`, t.bearer('admin'), { pin_tools: true });
    const blocked = await call(t, 'POST', `${URL}/tools/search/quarantine`, t.bearer('admin'));
    assert.equal(blocked.json().state, 'quarantined');
  });

  it('approve and quarantine of a tool whose server goes away mid-request are 404, not 500', async () => {
    const transaction = t.store.transaction.bind(t.store);
    try {
      for (const action of ['approve', 'quarantine']) {
        await t.store.servers.upsert({
          workspaceId: 'acme',
          id: 'doomed',
          name: 'Doomed',
          transport: 'http',
          url: 'https://doomed.example.com/mcp',
          timeoutMs: 1000,
        });
        await t.store.toolPins.observe({
          workspaceId: 'acme',
          serverId: 'doomed',
          tool: 'search',
          hash: 'h1',
          definition: { name: 'search' },
          at: new Date(),
          approveIfNew: false,
        });
        await t.store.serverPolicies.save({
          workspaceId: 'acme',
          serverId: 'doomed',
          document: { pin_tools: true },
          updatedBy: null,
        });
        // The route has found the tool; another admin deletes the server (and its pins) before the write.
        let removed = false;
        t.store.transaction = async (work) => {
          t.store.transaction = transaction;
          await t.store.servers.remove('acme', 'doomed');
          removed = true;
          return transaction(work);
        };
        const response = await call(
          t,
          'POST',
          `/api/v1/workspaces/acme/servers/doomed/tools/search/${action}`,
          t.bearer('admin'),
        );
        assert.ok(removed, `${action} wrote through a transaction`);
        assert.equal(response.status, 404, `${action}: ${JSON.stringify(response.json())}`);
        assert.equal(response.json().error, 'not_found');
        assert.equal(await t.store.toolPins.find('acme', 'doomed', 'search'), undefined);
      }
    } finally {
      t.store.transaction = transaction;
    }
  });
});
