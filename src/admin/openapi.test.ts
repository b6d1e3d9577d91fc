import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';
import { openApiPath } from './openapi.ts';

describe('OpenAPI document', () => {
  let t: AdminTestApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let document: any;
  before(async () => {
    t = await startAdminTestApp();
    const response = await t.app.inject({ url: '/api/v1/openapi.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = JSON.parse(response.body);
  });
  after(() => t.close());

  it('is served without credentials as OpenAPI 3.1.0', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.servers[0].url, 'https://gateway.example.com');
  });

  it('documents every /api/v1 route Fastify registered, method by method', () => {
    const registered = t.routes.filter((route) => route.url.startsWith('/api/v1/'));
    assert.ok(registered.length >= 20, String(registered.length));
    for (const route of registered) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        const entry = document.paths[openApiPath(route.url)]?.[method.toLowerCase()];
        assert.ok(entry, `${method} ${route.url} is missing`);
      }
    }
    const documented = Object.values(document.paths).flatMap((item) => Object.keys(item as object));
    assert.equal(documented.length, registered.length);
  });

  it('names the security of each operation: session (+ CSRF on unsafe methods) or a bearer key', () => {
    const get = document.paths['/api/v1/me'].get;
    assert.deepEqual(get.security, [{ session: [] }, { apiKey: [] }]);
    const put = document.paths['/api/v1/workspaces/{workspaceId}/members/{userId}'].put;
    assert.deepEqual(put.security, [{ session: [], csrfToken: [] }, { apiKey: [] }]);
    assert.deepEqual(document.paths['/api/v1/openapi.json'].get.security, []);
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), [
      'apiKey',
      'csrfToken',
      'session',
    ]);
    assert.equal(document.components.securitySchemes.session.name, '__Host-portcullis_session');
  });

  it('carries request and response schemas generated from the validation schemas', () => {
    const put = document.paths['/api/v1/workspaces/{workspaceId}/members/{userId}'].put;
    const body = put.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['role', 'servers']);
    assert.deepEqual(body.properties.role.enum, ['owner', 'admin', 'member', 'viewer']);
    assert.deepEqual(
      put.parameters.map((parameter: { name: string; in: string }) => [
        parameter.name,
        parameter.in,
      ]),
      [
        ['workspaceId', 'path'],
        ['userId', 'path'],
      ],
    );
    const created =
      document.paths['/api/v1/workspaces/{workspaceId}/api-keys'].post.responses['201'];
    assert.ok(created.content['application/json'].schema.properties.key);
    const operationIds = Object.values(document.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId: string }>).map((op) => op.operationId),
    );
    assert.equal(new Set(operationIds).size, operationIds.length);
  });
});
