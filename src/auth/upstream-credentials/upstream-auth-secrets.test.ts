import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigFileError } from '../../config/config-issue.ts';
import { declarativeConfigSchema } from '../../config/declarative-schema.ts';
import { GatewayError } from '../../shared/errors.ts';
import {
  createDeclaredUpstreamAuth,
  openUpstreamHeaders,
  sealUpstreamAuth,
} from './upstream-auth-secrets.ts';
import { createVault } from './vault.ts';

const vault = createVault({ secretKey: 'upstream-auth-secrets-test-key-0123456789' });
const otherVault = createVault({ secretKey: 'a-different-secret-key-9876543210-abcdef' });

const config = declarativeConfigSchema.parse({
  workspaces: [
    {
      id: 'acme',
      name: 'Acme',
      servers: [
        {
          id: 'linear',
          transport: 'http',
          url: 'https://mcp.linear.test/mcp',
          upstream_auth: {
            mode: 'headers',
            headers: {
              Authorization: { value_env: 'LINEAR_TOKEN' },
              'X-Team': { value_env: 'TEAM' },
            },
          },
        },
        { id: 'plain', transport: 'http', url: 'https://plain.test/mcp' },
      ],
    },
  ],
});
const server = (upstreamAuth: ReturnType<typeof sealUpstreamAuth>) => ({
  workspaceId: 'acme',
  id: 'linear',
  upstreamAuth,
});

describe('upstream auth secrets', () => {
  it('reports every missing or unusable header variable at once, by config path', () => {
    assert.throws(
      () => createDeclaredUpstreamAuth(config, { TEAM: 'a\nb' }, vault, 'portcullis.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigFileError);
        assert.deepEqual(
          error.details.map((issue) => issue.path),
          [
            'workspaces.0.servers.0.upstream_auth.headers.Authorization.value_env',
            'workspaces.0.servers.0.upstream_auth.headers.X-Team.value_env',
          ],
        );
        assert.match(error.message, /LINEAR_TOKEN is not set/);
        assert.match(error.message, /TEAM has control characters/);
        assert.doesNotMatch(error.message, /a\nb/);
        return true;
      },
    );
  });

  it('refuses to store header values without a vault', () => {
    const declared = createDeclaredUpstreamAuth(
      config,
      { LINEAR_TOKEN: 't', TEAM: 'x' },
      undefined,
    );
    assert.throws(() => declared(0, 0), /sealed by the vault/);
    assert.deepEqual(declared(0, 1), { mode: 'none', forwardIdentity: false });
  });

  it('seals header values, opens them with lower-cased names, and keeps unchanged seals', () => {
    const declared = createDeclaredUpstreamAuth(
      config,
      { LINEAR_TOKEN: 'Bearer lin_123', TEAM: 'platform' },
      vault,
    );
    const first = declared(0, 0);
    assert.equal(first.mode, 'headers');
    const sealed = first.mode === 'headers' ? first.headers : {};
    assert.doesNotMatch(JSON.stringify(sealed), /lin_123|platform/);
    assert.deepEqual(openUpstreamHeaders(vault, server(first)), {
      authorization: 'Bearer lin_123',
      'x-team': 'platform',
    });
    assert.deepEqual(declared(0, 0, first), first, 'same plaintext: same sealed values');
    const changed = createDeclaredUpstreamAuth(
      config,
      { LINEAR_TOKEN: 'Bearer lin_456', TEAM: 'platform' },
      vault,
    )(0, 0, first);
    assert.ok(changed.mode === 'headers' && first.mode === 'headers');
    assert.notEqual(changed.headers.Authorization, first.headers.Authorization);
    assert.equal(changed.headers['X-Team'], first.headers['X-Team']);
  });

  it('fails with secret_unreadable naming the header, never the value, under a foreign key', () => {
    const auth = sealUpstreamAuth(
      { mode: 'headers', headers: { 'X-Api-Key': 'k-secret' }, forward_identity: false },
      otherVault,
    );
    assert.throws(
      () => openUpstreamHeaders(vault, server(auth)),
      (error: unknown) =>
        error instanceof GatewayError &&
        error.code === 'secret_unreadable' &&
        /X-Api-Key of server acme\/linear/.test(error.message) &&
        !error.message.includes('k-secret'),
    );
    assert.throws(() => openUpstreamHeaders(undefined, server(auth)), GatewayError);
  });

  it('opens nothing for mode none', () => {
    assert.equal(
      openUpstreamHeaders(vault, server({ mode: 'none', forwardIdentity: true })),
      undefined,
    );
  });
});
