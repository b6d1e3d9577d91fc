import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import type { ApiKey, Member, ServerDefinition } from '../../store/model.ts';
import type { AccessTokenClaims } from './access-tokens.ts';
import { authenticate, authorize } from './authenticate.ts';
import type { ResourceServerDeps } from './authenticate.ts';
import { createMemberAccess } from './member-access.ts';

const PUBLIC_URL = 'https://gw.example';
const TARGET = { workspaceId: 'acme', serverId: 'github' };
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.sig';

function server(id: string, workspaceId = 'acme'): ServerDefinition {
  return {
    workspaceId,
    id,
    name: id,
    transport: 'http',
    url: 'https://upstream.example/mcp',
    command: null,
    args: [],
    env: {},
    cwd: null,
    timeoutMs: 1000,
    upstreamAuth: { mode: 'none', forwardIdentity: false },
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

function deps(options: {
  claims?: AccessTokenClaims;
  key?: Partial<ApiKey>;
  members?: Member[];
}): ResourceServerDeps {
  const members = options.members ?? [
    { workspaceId: 'acme', userId: 'user-1', role: 'member', serverIds: null },
  ];
  return {
    publicUrl: PUBLIC_URL,
    apiKeys: {
      reload: () => Promise.resolve(),
      findByKey: (key) =>
        key === 'pcl_good' && options.key !== undefined
          ? {
              id: 'k1',
              name: 'ci',
              userId: 'user-1',
              workspaceId: 'acme',
              keyHash: 'h',
              prefix: 'pcl_go',
              serverIds: null,
              expiresAt: null,
              revokedAt: null,
              createdAt: new Date(0),
              ...options.key,
            }
          : undefined,
    },
    tokens: {
      verify: (token) => (token === JWT ? options.claims : undefined),
      forgetGrant: () => undefined,
    },
    members: createMemberAccess({
      members: {
        find: (ws: string, user: string) =>
          Promise.resolve(members.find((m) => m.workspaceId === ws && m.userId === user)),
      } as never,
    }),
  };
}

const claims = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  userId: 'user-1',
  audience: [`${PUBLIC_URL}/acme/github/mcp`],
  clientId: 'client-1',
  scopes: new Set(['mcp']),
  expiresAt: Math.floor(Date.now() / 1000) + 600,
  grantId: 'g1',
  ...overrides,
});

async function refusal(work: () => unknown): Promise<GatewayError> {
  try {
    await work();
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected a refusal');
}

async function check(d: ResourceServerDeps, authorization: string, target = server('github')) {
  const credential = await authenticate(authorization, d, TARGET);
  await authorize(credential, target, d);
  return credential;
}

describe('resource server authentication', () => {
  it('answers a request without credentials with 401 and where to find the metadata', async () => {
    const error = await refusal(() => authenticate(undefined, deps({}), TARGET));
    assert.equal(error.status, 401);
    assert.equal(
      error.headers?.['www-authenticate'],
      `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/acme/github/mcp", scope="mcp"`,
    );
  });

  it('keeps path segments that are not ids out of the challenge', async () => {
    const error = await refusal(() =>
      authenticate(undefined, deps({}), { workspaceId: 'a"b', serverId: 'x' }),
    );
    assert.equal(error.headers?.['www-authenticate'], 'Bearer scope="mcp"');
  });

  it('refuses an unknown or invalid token with invalid_token', async () => {
    const error = await refusal(() => check(deps({}), `Bearer ${JWT}`));
    assert.equal(error.status, 401);
    assert.match(String(error.headers?.['www-authenticate']), /error="invalid_token"/);
  });

  it('refuses a token issued for another server of the workspace with 401', async () => {
    const d = deps({ claims: claims({ audience: [`${PUBLIC_URL}/acme/linear/mcp`] }) });
    const error = await refusal(() => check(d, `Bearer ${JWT}`));
    assert.equal(error.status, 401);
    assert.match(String(error.headers?.['www-authenticate']), /issued for another resource/);
  });

  it('refuses a token issued for the same server id in another workspace', async () => {
    const d = deps({ claims: claims({ audience: [`${PUBLIC_URL}/other/github/mcp`] }) });
    assert.equal((await refusal(() => check(d, `Bearer ${JWT}`))).status, 401);
  });

  it('refuses a token with several audiences', async () => {
    const audience = [`${PUBLIC_URL}/acme/github/mcp`, `${PUBLIC_URL}/acme/linear/mcp`];
    const d = deps({ claims: claims({ audience }) });
    assert.equal((await refusal(() => check(d, `Bearer ${JWT}`))).status, 401);
  });

  it('answers a token without the mcp scope with 403 insufficient_scope', async () => {
    const d = deps({ claims: claims({ scopes: new Set(['openid']) }) });
    const error = await refusal(() => check(d, `Bearer ${JWT}`));
    assert.equal(error.status, 403);
    assert.equal(error.code, 'insufficient_scope');
    assert.match(
      String(error.headers?.['www-authenticate']),
      /error="insufficient_scope".*scope="mcp"/,
    );
  });

  it('refuses a token of a user who is no longer a member', async () => {
    const d = deps({ claims: claims(), members: [] });
    assert.equal((await refusal(() => check(d, `Bearer ${JWT}`))).status, 403);
  });

  it('refuses a member whose server access excludes the server', async () => {
    const members: Member[] = [
      { workspaceId: 'acme', userId: 'user-1', role: 'member', serverIds: ['linear'] },
    ];
    const d = deps({ claims: claims(), members });
    assert.equal((await refusal(() => check(d, `Bearer ${JWT}`))).status, 403);
  });

  it('accepts a token for this exact server from a member with access', async () => {
    const credential = await check(deps({ claims: claims() }), `Bearer ${JWT}`);
    assert.equal(credential.principal.kind, 'user');
    assert.equal(credential.principal.id, 'oauth:user-1:client-1');
  });

  it('refuses an API key of a user removed from the workspace', async () => {
    const d = deps({ key: {}, members: [] });
    assert.equal((await refusal(() => check(d, 'Bearer pcl_good'))).status, 403);
  });

  it('refuses a revoked API key with 401', async () => {
    const d = deps({ key: { revokedAt: new Date(Date.now() - 1000) } });
    assert.equal((await refusal(() => check(d, 'Bearer pcl_good'))).status, 401);
  });

  it('refuses an API key outside its server subset', async () => {
    const d = deps({ key: { serverIds: ['linear'] } });
    assert.equal((await refusal(() => check(d, 'Bearer pcl_good'))).status, 403);
  });

  it('refuses an API key at another workspace', async () => {
    const d = deps({ key: {} });
    const error = await refusal(() => check(d, 'Bearer pcl_good', server('github', 'other')));
    assert.equal(error.status, 403);
  });

  it('accepts an API key of a member', async () => {
    const credential = await check(deps({ key: {} }), 'Bearer pcl_good');
    assert.equal(credential.principal.kind, 'api_key');
  });
});
