import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { Principal } from '../resource/principal.ts';
import type { ServerDefinition, User } from '../../store/model.ts';
import type { Upstream, UpstreamCall } from '../../upstream/upstream.ts';
import { createIdentityForwarding } from './identity-forwarding.ts';

const ISSUER = 'https://gw.example';
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'es256-1', alg: 'ES256' };
const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'es256-1' }] });

const user: User = {
  id: 'u-ada',
  email: 'ada@acme.test',
  name: 'Ada Lovelace',
  passwordHash: null,
  isAdmin: false,
  createdAt: new Date(0),
  updatedAt: new Date(0),
} as User;

function server(overrides: Partial<ServerDefinition> = {}): ServerDefinition {
  return {
    workspaceId: 'acme',
    id: 'linear',
    name: 'Linear',
    transport: 'http',
    url: 'https://mcp.linear.test/mcp',
    command: null,
    args: [],
    env: {},
    cwd: null,
    timeoutMs: 1000,
    upstreamAuth: { mode: 'none', forwardIdentity: true },
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}

const principal: Principal = {
  kind: 'api_key',
  id: 'key-1',
  userId: 'u-ada',
  workspaceId: 'acme',
  apiKeyId: 'key-1',
  clientId: null,
};

/** An upstream that records the calls it gets. */
function recordingUpstream(): Upstream & { calls: UpstreamCall[] } {
  const calls: UpstreamCall[] = [];
  return {
    calls,
    serverKey: 'acme/linear',
    post: async (_message, call) => {
      calls.push(call);
      return { kind: 'accepted', status: 202, sessionId: undefined };
    },
    listen: async (call) => {
      calls.push(call);
      return null;
    },
    terminate: async (call) => void calls.push(call),
    forward: async (_body, call) => {
      calls.push(call);
      throw new Error('not used');
    },
    close: async () => undefined,
  };
}

function forwarding(now: () => number = Date.now) {
  let lookups = 0;
  const identity = createIdentityForwarding({
    issuer: ISSUER,
    signingKey,
    users: {
      find: async (id) => {
        lookups += 1;
        return id === user.id ? user : undefined;
      },
    },
    now,
  });
  return { identity, lookups: () => lookups };
}

describe('identity forwarding', () => {
  it('leaves servers that do not forward identity, and stdio servers, untouched', () => {
    const { identity } = forwarding();
    const upstream = recordingUpstream();
    const plain = server({ upstreamAuth: { mode: 'none', forwardIdentity: false } });
    assert.equal(identity.upstreamFor(upstream, plain, principal), upstream);
    const stdio = server({ transport: 'stdio', url: null });
    assert.equal(identity.upstreamFor(upstream, stdio, principal), upstream);
  });

  it('adds a verifiable identity JWT with the caller and server claims to every call', async () => {
    const { identity } = forwarding();
    const upstream = recordingUpstream();
    const view = identity.upstreamFor(upstream, server(), principal);
    const call = { timeoutMs: 1000, headers: { 'mcp-method': 'tools/list' } };
    await view.post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, call);
    await view.listen({ timeoutMs: 1000 });
    await view.terminate({ timeoutMs: 1000, sessionId: 's' });
    assert.equal(upstream.calls.length, 3);
    assert.equal(upstream.calls[0]?.headers?.['mcp-method'], 'tools/list');
    assert.deepEqual(
      call.headers,
      { 'mcp-method': 'tools/list' },
      "the caller's call is not changed",
    );
    const token = upstream.calls[0]?.headers?.['x-portcullis-identity'] ?? '';
    for (const seen of upstream.calls) assert.equal(seen.headers?.['x-portcullis-identity'], token);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: 'https://mcp.linear.test/mcp',
      typ: 'portcullis-identity+jwt',
    });
    assert.equal(protectedHeader.kid, 'es256-1');
    assert.equal(payload.sub, 'u-ada');
    assert.equal(payload.email, 'ada@acme.test');
    assert.equal(payload.name, 'Ada Lovelace');
    assert.equal(payload.workspace, 'acme');
    assert.equal(payload.server, 'linear');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
  });

  it('reuses a token for 30 seconds per user and server, then signs a new one', async () => {
    let clock = 1_800_000_000_000;
    const { identity, lookups } = forwarding(() => clock);
    const first = await identity.token(server(), principal);
    assert.equal(await identity.token(server(), principal), first);
    assert.equal(lookups(), 1);
    const other = await identity.token(server({ id: 'github' }), principal);
    assert.notEqual(other, first);
    clock += 30_000;
    assert.notEqual(await identity.token(server(), principal), first);
    assert.equal(lookups(), 3);
  });

  it('names an unknown user with null email and name rather than failing the call', async () => {
    const { identity } = forwarding();
    const token = await identity.token(server(), { ...principal, userId: 'u-gone' });
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER });
    assert.equal(payload.sub, 'u-gone');
    assert.equal(payload.email, null);
  });
});
