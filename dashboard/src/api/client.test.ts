import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillPath, queryString } from './client.ts';

describe('API paths and queries', () => {
  it('fills path parameters, escaping each', () => {
    assert.equal(
      fillPath('/api/v1/workspaces/{workspaceId}/servers/{serverId}', {
        workspaceId: 'acme',
        serverId: 'a/b?c',
      }),
      '/api/v1/workspaces/acme/servers/a%2Fb%3Fc',
    );
  });

  it('refuses to call a path with a parameter missing', () => {
    assert.throws(() => fillPath('/api/v1/workspaces/{workspaceId}', {}), /workspaceId/);
  });

  it('leaves out empty query values and repeats arrays', () => {
    assert.equal(
      queryString({ a: 'x y', b: '', c: undefined, d: ['1', '2'], e: 3 }),
      '?a=x+y&d=1&d=2&e=3',
    );
    assert.equal(queryString(undefined), '');
  });
});
