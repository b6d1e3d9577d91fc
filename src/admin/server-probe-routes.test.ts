import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../../test/fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../../test/fixtures/fixture-server/http.ts';
import { createAddressGuard } from '../upstream/ssrf-guard.ts';
import { createUpstreamRegistry } from '../upstream/upstream-registry.ts';
import type { AdminTestApp } from './admin-test-app.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';

const TEST = '/api/v1/workspaces/acme/servers/test';
const capabilitiesOf = (server: string) => `/api/v1/workspaces/acme/servers/${server}/capabilities`;

describe('server probe routes', () => {
  let t: AdminTestApp;
  let fixture: RunningFixtureServer;
  let modernFixture: RunningFixtureServer;
  let hang: ReturnType<typeof createServer>;
  let hangUrl: string;
  let unauthorized: ReturnType<typeof createServer>;
  let unauthorizedUrl: string;
  const live = createUpstreamRegistry(createAddressGuard(['127.0.0.0/8']));

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    modernFixture = await startFixtureServer({ era: 'modern' });
    hang = createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/mcp`;
    unauthorized = createServer((_req, res) => {
      res.writeHead(401, {
        'www-authenticate': 'Bearer resource_metadata="http://127.0.0.1/.well-known/x"',
      });
      res.end();
    });
    await new Promise<void>((resolve) => unauthorized.listen(0, '127.0.0.1', resolve));
    unauthorizedUrl = `http://127.0.0.1:${(unauthorized.address() as AddressInfo).port}/mcp`;
    t = await startAdminTestApp({
      upstreamProbe: {
        scratch: () => createUpstreamRegistry(createAddressGuard(['127.0.0.0/8'])),
        live: (server, principal) => live.get(server, principal),
      },
    });
    await t.store.servers.upsert({
      workspaceId: 'acme',
      id: 'fixture',
      name: 'fixture',
      transport: 'http',
      url: fixture.url,
      timeoutMs: 5000,
    });
    await t.store.members.upsert({
      workspaceId: 'acme',
      userId: t.users.member.id,
      role: 'member',
      serverIds: ['github', 'fixture'],
    });
  });
  after(async () => {
    await live.closeAll();
    await t.close();
    await fixture.close();
    await modernFixture.close();
    hang.closeAllConnections();
    hang.close();
    unauthorized.close();
  });

  describe('POST …/servers/test', () => {
    it('refuses a body that is not a server definition with the field paths, before connecting', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'Bad Id',
        transport: 'http',
        url: 'not a url',
      });
      assert.equal(response.status, 400);
      const body = response.json<{ error: string; issues: { path: string }[] }>();
      assert.equal(body.error, 'bad_request');
      const paths = body.issues.map((issue) => issue.path);
      assert.ok(paths.includes('body.id'), paths.join());
      assert.ok(paths.includes('body.url'), paths.join());
    });

    it('refuses members and viewers: testing is for those who manage servers', async () => {
      for (const person of ['member', 'viewer'] as const) {
        const response = await call(t, 'POST', TEST, t.bearer(person), {
          id: 'probe',
          transport: 'http',
          url: fixture.url,
        });
        assert.equal(response.status, 403, person);
      }
    });

    it('refuses a stdio definition from a workspace admin who is not an instance administrator', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('owner'), {
        id: 'probe',
        transport: 'stdio',
        command: process.execPath,
        args: ['--version'],
      });
      assert.equal(response.status, 403);
    });

    it('lists the tools, resources and prompts of a live upstream, and saves nothing', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: fixture.url,
      });
      assert.equal(response.status, 200);
      const body = response.json();
      assert.equal(body.ok, true, JSON.stringify(body));
      assert.equal(body.era, 'legacy');
      assert.ok(body.tools.some((tool: { name: string }) => tool.name === 'test_simple_text'));
      assert.ok(body.resources.length > 0);
      assert.ok(body.prompts.length > 0);
      assert.equal(typeof body.server_info.name, 'string');
      assert.equal(await t.store.servers.find('acme', 'probe'), undefined);
    });

    it('lists a 2026-only upstream through server/discover', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: modernFixture.url,
      });
      const body = response.json();
      assert.equal(body.ok, true, JSON.stringify(body));
      assert.equal(body.era, 'modern');
      assert.ok(body.tools.length > 0);
    });

    it('answers ok: false quickly when the upstream refuses the connection', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const started = Date.now();
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: `http://127.0.0.1:${port}/mcp`,
      });
      assert.equal(response.status, 200);
      const body = response.json();
      assert.equal(body.ok, false);
      assert.equal(body.error.code, 'upstream_unavailable');
      assert.match(body.error.message, /refused/);
      assert.ok(Date.now() - started < 3000);
    });

    it("answers ok: false with upstream_timeout once the server's timeout passes", async () => {
      const started = Date.now();
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: hangUrl,
        timeout_ms: 300,
      });
      const body = response.json();
      assert.equal(body.ok, false);
      assert.equal(body.error.code, 'upstream_timeout');
      assert.ok(Date.now() - started < 3000);
    });

    it('says the upstream needs authorization when it answers 401', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: unauthorizedUrl,
      });
      const body = response.json();
      assert.equal(body.ok, false);
      assert.equal(body.error.code, 'needs_authorization');
    });

    it('says an upstream OAuth server is tested once saved and connected', async () => {
      const response = await call(t, 'POST', TEST, t.bearer('admin'), {
        id: 'probe',
        transport: 'http',
        url: fixture.url,
        upstream_auth: { mode: 'oauth', oauth: { grant: 'per_user' } },
      });
      const body = response.json();
      assert.equal(body.ok, false, JSON.stringify(body));
      assert.equal(body.error.code, 'connection_required');
    });

    it('applies the SSRF guard: a private address not allowlisted is refused', async () => {
      const strict = await startAdminTestApp({
        upstreamProbe: {
          scratch: () => createUpstreamRegistry(createAddressGuard([])),
          live: () => assert.fail('not used'),
        },
      });
      try {
        const response = await call(strict, 'POST', TEST, strict.bearer('admin'), {
          id: 'probe',
          transport: 'http',
          url: fixture.url,
        });
        const body = response.json();
        assert.equal(body.ok, false);
        assert.equal(body.error.code, 'forbidden');
      } finally {
        await strict.close();
      }
    });
  });

  describe('GET …/servers/:server/capabilities', () => {
    it('gives managers every upstream tool with its policy state, a disabled one included', async () => {
      await t.store.serverPolicies.save({
        workspaceId: 'acme',
        serverId: 'fixture',
        document: {
          mode: 'open',
          pin_tools: false,
          tools: { test_simple_text: { enabled: false }, test_image_content: { name: 'image' } },
          resources: {},
          resource_templates: {},
          prompts: {},
        },
        updatedBy: t.users.admin.id,
      });
      const response = await call(t, 'GET', capabilitiesOf('fixture'), t.bearer('admin'));
      assert.equal(response.status, 200, JSON.stringify(response.json()));
      const body = response.json();
      assert.equal(body.view, 'manager');
      const tools = new Map(body.tools.map((tool: { name: string }) => [tool.name, tool]));
      assert.equal((tools.get('test_simple_text') as { state: string }).state, 'disabled');
      const image = tools.get('test_image_content') as { state: string; shown_as: string };
      assert.equal(image.state, 'visible');
      assert.equal(image.shown_as, 'image');
    });

    it('gives members only what the policy shows them, renamed as their clients see it', async () => {
      const response = await call(t, 'GET', capabilitiesOf('fixture'), t.bearer('member'));
      assert.equal(response.status, 200);
      const body = response.json();
      assert.equal(body.view, 'member');
      const names = body.tools.map((tool: { name: string }) => tool.name);
      assert.ok(!names.includes('test_simple_text'));
      assert.ok(names.includes('image'));
      assert.ok(!names.includes('test_image_content'));
    });

    it('answers 404 for a server the member may not reach', async () => {
      const response = await call(t, 'GET', capabilitiesOf('linear'), t.bearer('member'));
      assert.equal(response.status, 404);
    });
  });
});
