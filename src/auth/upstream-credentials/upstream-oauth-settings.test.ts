/** `upstream_auth.mode: oauth`: the declarative and API forms, and how they are stored. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigFileError } from '../../config/config-issue.ts';
import { declarativeConfigSchema } from '../../config/declarative-schema.ts';
import { apiUpstreamAuthSchema, configUpstreamAuthSchema } from './upstream-auth-schema.ts';
import {
  OAUTH_CLIENT_SECRET_PURPOSE,
  createDeclaredUpstreamAuth,
  literalUpstreamAuth,
  sealUpstreamAuth,
} from './upstream-auth-secrets.ts';
import { createVault } from './vault.ts';

const vault = createVault({ secretKey: 'upstream-oauth-settings-test-key-0123456789' });

function issues(
  schema: typeof configUpstreamAuthSchema | typeof apiUpstreamAuthSchema,
  input: unknown,
) {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('upstream_auth oauth: refused input', () => {
  it('needs oauth.grant with mode oauth, and mode oauth with oauth', () => {
    assert.deepEqual(issues(configUpstreamAuthSchema, { mode: 'oauth' }), [
      'oauth: mode oauth needs oauth.grant (per_user, shared or client_credentials)',
    ]);
    assert.deepEqual(issues(configUpstreamAuthSchema, { oauth: { grant: 'shared' } }), [
      'oauth: needs mode: oauth',
    ]);
    assert.equal(issues(configUpstreamAuthSchema, { mode: 'oauth', oauth: {} }).length, 1);
    assert.match(
      issues(configUpstreamAuthSchema, { mode: 'oauth', oauth: { grant: 'everyone' } })[0] ?? '',
      /^oauth\.grant: /,
    );
  });

  it('refuses headers next to oauth', () => {
    assert.deepEqual(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'per_user' },
        headers: { 'X-Key': { value_env: 'K' } },
      }),
      ['headers: needs mode: headers'],
    );
  });

  it('refuses an inline client secret in the config file, naming client_secret_env', () => {
    assert.deepEqual(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'shared', client_id: 'gw', client_secret: 's3cret' },
      }),
      ['oauth.client_secret: secret values are not allowed inline; use client_secret_env'],
    );
    assert.match(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'shared', client_id: 'gw', client_secret_env: 'not a name' },
      })[0] ?? '',
      /^oauth\.client_secret_env: must be an environment variable name/,
    );
  });

  it('refuses a client secret without a client id', () => {
    assert.deepEqual(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'shared', client_secret_env: 'SECRET' },
      }),
      ['oauth.client_secret_env: needs client_id'],
    );
    assert.deepEqual(
      issues(apiUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'shared', client_secret: 'x' },
      }),
      ['oauth.client_secret: needs client_id'],
    );
  });

  it('refuses scopes that are not scope tokens and authorize params the gateway sets', () => {
    assert.match(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'per_user', scopes: ['read write'] },
      })[0] ?? '',
      /^oauth\.scopes\.0: must be an OAuth scope token/,
    );
    for (const name of ['state', 'redirect_uri', 'code_challenge', 'resource', 'client_id'])
      assert.deepEqual(
        issues(configUpstreamAuthSchema, {
          mode: 'oauth',
          oauth: { grant: 'per_user', authorize_params: { [name]: 'x' } },
        }),
        [`oauth.authorize_params.${name}: is set by the gateway and cannot be configured`],
      );
    assert.equal(
      issues(configUpstreamAuthSchema, {
        mode: 'oauth',
        oauth: { grant: 'per_user', authorize_params: { 'bad name': 'x' } },
      }).length,
      1,
    );
  });

  it('refuses unknown oauth fields', () => {
    assert.equal(
      issues(apiUpstreamAuthSchema, { mode: 'oauth', oauth: { grant: 'per_user', pkce: false } })
        .length,
      1,
    );
  });

  it('refuses oauth for sse and stdio servers in the config file', () => {
    const server = (transport: string) => ({
      workspaces: [
        {
          id: 'acme',
          name: 'Acme',
          servers: [
            {
              id: 'linear',
              transport,
              ...(transport === 'stdio' ? { command: 'x' } : { url: 'https://linear.test/sse' }),
              upstream_auth: { mode: 'oauth', oauth: { grant: 'per_user' } },
            },
          ],
        },
      ],
    });
    for (const transport of ['sse', 'stdio'])
      assert.equal(declarativeConfigSchema.safeParse(server(transport)).success, false, transport);
    assert.equal(declarativeConfigSchema.safeParse(server('http')).success, true);
  });
});

describe('upstream_auth oauth: stored form', () => {
  it('parses with defaults and seals the client secret, reusing an unchanged one', () => {
    const declared = apiUpstreamAuthSchema.parse({
      mode: 'oauth',
      oauth: {
        grant: 'shared',
        client_id: 'gateway',
        client_secret: 'top-secret',
        scopes: ['read', 'write'],
        authorize_params: { access_type: 'offline' },
      },
    });
    const stored = sealUpstreamAuth(literalUpstreamAuth(declared), vault);
    assert.equal(stored.mode, 'oauth');
    if (stored.mode !== 'oauth') return;
    assert.deepEqual(
      { ...stored.oauth, clientSecret: undefined },
      {
        grant: 'shared',
        clientId: 'gateway',
        clientSecret: undefined,
        scopes: ['read', 'write'],
        omitResource: false,
        authorizeParams: { access_type: 'offline' },
      },
    );
    assert.notEqual(stored.oauth.clientSecret, 'top-secret');
    assert.equal(vault.open(OAUTH_CLIENT_SECRET_PURPOSE, stored.oauth.clientSecret!), 'top-secret');
    const again = sealUpstreamAuth(literalUpstreamAuth(declared), vault, stored);
    assert.deepEqual(again, stored);
    const changed = sealUpstreamAuth(
      literalUpstreamAuth(
        apiUpstreamAuthSchema.parse({
          mode: 'oauth',
          oauth: { grant: 'shared', client_id: 'gateway', client_secret: 'new-secret' },
        }),
      ),
      vault,
      stored,
    );
    assert.equal(
      changed.mode === 'oauth' &&
        vault.open(OAUTH_CLIENT_SECRET_PURPOSE, changed.oauth.clientSecret!),
      'new-secret',
    );
  });

  it('resolves client_secret_env from the environment, reporting a missing one by path', () => {
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
                mode: 'oauth',
                oauth: {
                  grant: 'client_credentials',
                  client_id: 'gw',
                  client_secret_env: 'LINEAR_SECRET',
                },
              },
            },
          ],
        },
      ],
    });
    assert.throws(
      () => createDeclaredUpstreamAuth(config, {}, vault),
      (error: unknown) =>
        error instanceof ConfigFileError &&
        /workspaces\.0\.servers\.0\.upstream_auth\.oauth\.client_secret_env: environment variable LINEAR_SECRET is not set/.test(
          error.message,
        ),
    );
    const stored = createDeclaredUpstreamAuth(config, { LINEAR_SECRET: 'from-env' }, vault)(0, 0);
    assert.equal(stored.mode, 'oauth');
    assert.equal(
      stored.mode === 'oauth' &&
        vault.open(OAUTH_CLIENT_SECRET_PURPOSE, stored.oauth.clientSecret!),
      'from-env',
    );
  });
});
