import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from './create-app.ts';
import { DASHBOARD_CSP, createDashboard } from './dashboard-route.ts';
import { createOriginGuard } from './origin-guard.ts';

const HTML = { accept: 'text/html,application/xhtml+xml' };

function appWith(distDir: string) {
  const logger = pino({ level: 'silent' });
  const dashboard = createDashboard({ distDir, logger });
  return createApp({
    logger,
    bodyLimit: 1024,
    originGuard: createOriginGuard('http://127.0.0.1:8080', []),
    mcpHandler: async (request, reply) =>
      void reply
        .code(200)
        .type('application/json')
        .send(JSON.stringify({ mcp: request.params })),
    isReady: async () => true,
    navigationFallback: dashboard.serveNavigation,
    routeModules: [dashboard.routes],
  });
}

describe('dashboard serving', () => {
  let dist: string;
  before(async () => {
    dist = await mkdtemp(path.join(os.tmpdir(), 'dashboard-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(path.join(dist, 'favicon.svg'), '<svg/>');
  });
  after(() => rm(dist, { recursive: true, force: true }));

  it('serves the app at / under its CSP, never cached', async () => {
    const response = await appWith(dist).inject({ url: '/', headers: HTML });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-security-policy'], DASHBOARD_CSP);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.match(response.body, /id="root"/);
  });

  it('serves hashed assets as immutable, other files revalidated, with their types', async () => {
    const app = appWith(dist);
    const script = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(String(script.headers['cache-control']), /immutable/);
    const icon = await app.inject({ url: '/favicon.svg' });
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
  });

  it('answers a browser navigation to a client-side route with the app', async () => {
    const response = await appWith(dist).inject({
      url: '/w/acme/logs?status=error',
      headers: HTML,
    });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /id="root"/);
  });

  it('leaves MCP endpoints alone, also of a workspace named like a dashboard folder', async () => {
    const app = appWith(dist);
    for (const url of ['/assets/srv/mcp', '/w/srv/mcp']) {
      const response = await app.inject({ method: 'GET', url, headers: HTML });
      assert.equal(response.statusCode, 200, url);
      assert.deepEqual(JSON.parse(response.body).mcp.serverId, 'srv');
    }
  });

  it('answers unknown paths with the JSON 404 for API calls, non-GET methods and non-HTML clients', async () => {
    const app = appWith(dist);
    const cases = [
      { method: 'GET' as const, url: '/api/v1/nothing', headers: HTML },
      { method: 'POST' as const, url: '/w/acme/logs', headers: HTML },
      { method: 'GET' as const, url: '/w/acme/logs', headers: { accept: 'application/json' } },
      { method: 'GET' as const, url: '/assets/missing.js', headers: {} },
    ];
    for (const request of cases) {
      const response = await app.inject(request);
      assert.equal(response.statusCode, 404, `${request.method} ${request.url}`);
      assert.equal(JSON.parse(response.body).error, 'not_found');
    }
  });

  it('explains how to build the app when dist is missing, and the API keeps working', async () => {
    const app = appWith(path.join(dist, 'does-not-exist'));
    const response = await app.inject({ url: '/', headers: HTML });
    assert.equal(response.statusCode, 503);
    assert.match(response.body, /npm run build/);
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  });
});
