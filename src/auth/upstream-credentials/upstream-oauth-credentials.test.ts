/**
 * The call decorator over a scripted upstream: which token each call
 * carries, the one retry after a 401, and how a missing grant is told.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Principal } from '../resource/principal.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RawReply, Upstream, UpstreamCall, UpstreamOutcome } from '../../upstream/upstream.ts';
import { UpstreamHttpError } from '../../upstream/http-client.ts';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';
import { createStreamableHttpUpstream } from '../../upstream/streamable-http.ts';
import type { ConnectionTokens } from './connections-tokens.ts';
import { createUpstreamOAuthCredentials, downstreamClient } from './upstream-oauth-credentials.ts';

const principal: Principal = {
  kind: 'user',
  id: 'u1:c1',
  userId: 'u1',
  workspaceId: null,
  apiKeyId: null,
  clientId: 'c1',
};

function server(mode: 'oauth' | 'none'): ServerDefinition {
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
    upstreamAuth:
      mode === 'none'
        ? { mode: 'none', forwardIdentity: false }
        : {
            mode: 'oauth',
            forwardIdentity: false,
            oauth: {
              grant: 'per_user',
              clientId: null,
              clientSecret: null,
              scopes: [],
              omitResource: false,
              authorizeParams: {},
            },
          },
    createdAt: new Date(),
    updatedAt: new Date(),
  };
}

/** Tokens t1, t2, …: a new one each time the current one is rejected; broken once marked refused. */
function scriptedTokens() {
  let current = 1;
  let broken = false;
  const log: string[] = [];
  const tokens: ConnectionTokens = {
    async accessTokenFor(_server, _principal, options = {}) {
      if (broken)
        throw new GatewayError('upstream_connection_required', 'Connect your account first.', {
          data: { connect_url: 'https://gw.test/connections/acme/linear/connect' },
        });
      if (options.rejected === `t${current}`) current += 1;
      log.push(`token t${current}`);
      return `t${current}`;
    },
    async markRefused() {
      broken = true;
      log.push('refused');
    },
    save: () => Promise.reject(new Error('not used')),
    forget: () => undefined,
  };
  return { tokens, log };
}

/** An upstream that refuses (HTTP 401) the tokens in `refuse` and records what it saw. */
function scriptedUpstream(refuse: Set<string>) {
  const seen: string[] = [];
  const status = (call: UpstreamCall): number => {
    const authorization = call.headers?.authorization ?? '';
    seen.push(authorization);
    return refuse.has(authorization.replace('Bearer ', '')) ? 401 : 200;
  };
  const upstream: Upstream = {
    serverKey: 'acme/linear',
    async post(_message, call): Promise<UpstreamOutcome> {
      if (status(call) === 401)
        throw new UpstreamHttpError(401, 'The upstream acme/linear answered HTTP 401.');
      if (call.headers?.['x-fail'] !== undefined)
        throw new GatewayError('upstream_error', call.headers['x-fail']);
      return { kind: 'accepted', status: 202, sessionId: undefined };
    },
    listen: async () => null,
    terminate: async () => undefined,
    async forward(_body, call): Promise<RawReply> {
      return {
        status: status(call),
        contentType: 'application/json',
        headers: {},
        body: Readable.from(['{}']) as unknown as RawReply['body'],
      };
    },
    close: async () => undefined,
  };
  return { upstream, seen };
}

const call: UpstreamCall = { timeoutMs: 1000, headers: { 'mcp-method': 'tools/call' } };
const ping = { jsonrpc: '2.0' as const, id: 1, method: 'ping' };

describe('upstream OAuth credentials on calls', () => {
  it('leaves servers without upstream OAuth undecorated', () => {
    const { tokens } = scriptedTokens();
    const { upstream } = scriptedUpstream(new Set());
    const credentials = createUpstreamOAuthCredentials({ tokens });
    assert.equal(credentials.upstreamFor(upstream, server('none'), principal), upstream);
  });

  it("adds the owner's bearer token to the call", async () => {
    const { tokens } = scriptedTokens();
    const { upstream, seen } = scriptedUpstream(new Set());
    const decorated = createUpstreamOAuthCredentials({ tokens }).upstreamFor(
      upstream,
      server('oauth'),
      principal,
    );
    await decorated.post(ping, call);
    assert.deepEqual(seen, ['Bearer t1']);
  });

  it('retries a 401 once with a refreshed token', async () => {
    const { tokens, log } = scriptedTokens();
    const { upstream, seen } = scriptedUpstream(new Set(['t1']));
    const decorated = createUpstreamOAuthCredentials({ tokens }).upstreamFor(
      upstream,
      server('oauth'),
      principal,
    );
    assert.equal((await decorated.post(ping, call)).kind, 'accepted');
    assert.deepEqual(seen, ['Bearer t1', 'Bearer t2']);
    const reply = await decorated.forward('{}', call);
    assert.equal(reply.status, 200);
    assert.deepEqual(log, ['token t1', 'token t2', 'token t2']);
  });

  it('does not take an error that only quotes HTTP 401 in its text for a refusal', async () => {
    const { tokens, log } = scriptedTokens();
    const { upstream, seen } = scriptedUpstream(new Set());
    const decorated = createUpstreamOAuthCredentials({ tokens }).upstreamFor(
      upstream,
      server('oauth'),
      principal,
    );
    const quoting = {
      ...call,
      headers: { 'x-fail': 'The upstream acme/linear answered HTTP 502: it answered HTTP 401' },
    };
    await assert.rejects(
      decorated.post(ping, quoting),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_error',
    );
    assert.deepEqual(seen, ['Bearer t1']);
    assert.deepEqual(log, ['token t1']);
  });

  it('retries on the status the streamable HTTP transport reports, whatever the body says', async () => {
    const answered: string[] = [];
    const upstreamServer = http.createServer((request, response) => {
      request.resume();
      answered.push(request.headers.authorization ?? '');
      if (request.headers.authorization === 'Bearer t1') {
        // A body that never says 401: only the status tells.
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'expired' } }),
        );
        return;
      }
      response.writeHead(202).end();
    });
    await new Promise<void>((resolve) => upstreamServer.listen(0, '127.0.0.1', resolve));
    const port = (upstreamServer.address() as AddressInfo).port;
    const transport = createStreamableHttpUpstream(
      'acme/linear',
      `http://127.0.0.1:${port}/mcp`,
      createAddressGuard(['*']),
    );
    try {
      const { tokens, log } = scriptedTokens();
      const decorated = createUpstreamOAuthCredentials({ tokens }).upstreamFor(
        transport,
        server('oauth'),
        principal,
      );
      assert.equal((await decorated.post(ping, call)).kind, 'accepted');
      assert.deepEqual(answered, ['Bearer t1', 'Bearer t2']);
      assert.deepEqual(log, ['token t1', 'token t2']);
    } finally {
      await transport.close();
      await new Promise<void>((resolve) => upstreamServer.close(() => resolve()));
    }
  });

  it('marks the connection refused after a second 401 and answers with the connect URL', async () => {
    const { tokens, log } = scriptedTokens();
    const { upstream, seen } = scriptedUpstream(new Set(['t1', 't2']));
    const decorated = createUpstreamOAuthCredentials({ tokens }).upstreamFor(
      upstream,
      server('oauth'),
      principal,
    );
    await assert.rejects(
      decorated.forward('{}', call),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'upstream_connection_required',
    );
    assert.deepEqual(seen, ['Bearer t1', 'Bearer t2']);
    assert.deepEqual(log, ['token t1', 'token t2', 'refused']);
  });

  it('answers clients that declared elicitation.url with a URL elicitation error', async () => {
    const { tokens } = scriptedTokens();
    await tokens.markRefused(server('oauth'), principal);
    const { upstream } = scriptedUpstream(new Set());
    const credentials = createUpstreamOAuthCredentials({ tokens });
    const plain = credentials.upstreamFor(
      upstream,
      server('oauth'),
      principal,
      downstreamClient(() => ({ elicitation: { form: {} } })),
    );
    await assert.rejects(
      plain.post(ping, call),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'upstream_connection_required',
    );
    const eliciting = credentials.upstreamFor(
      upstream,
      server('oauth'),
      principal,
      downstreamClient(() => ({ elicitation: { url: {} } })),
    );
    await assert.rejects(eliciting.post(ping, call), (error: unknown) => {
      if (!(error instanceof GatewayError)) return false;
      const [elicitation] = error.data?.elicitations as Record<string, unknown>[];
      return (
        error.code === 'upstream_url_elicitation_required' &&
        error.rpcCode === -32042 &&
        elicitation?.mode === 'url' &&
        elicitation.url === 'https://gw.test/connections/acme/linear/connect' &&
        typeof elicitation.elicitationId === 'string'
      );
    });
  });
});
