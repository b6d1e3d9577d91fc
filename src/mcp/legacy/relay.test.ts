import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createPendingClientRequests } from '../../session/client-requests.ts';
import type { LegacySession } from '../../session/legacy-session.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { fromClientRequestId, toClientRequestId } from '../id-mapping.ts';
import type { McpDeps } from '../mcp-call.ts';
import { answerKey, pendingKey, relayClientRequest } from './relay.ts';

const session: LegacySession = {
  v: 1,
  ws: 'acme',
  srv: 'stdio',
  pid: 'user-1',
  ver: '2025-11-25',
  caps: { elicitation: {} },
  ci: null,
  tag: 'tag1',
  usid: 'process-of-instance-x',
  uera: 'legacy',
  exp: 0,
};

describe('server-to-client requests relayed to a legacy session', () => {
  it('are found by the answer whatever upstream session the answering instance maps the session to', async () => {
    const pendingClientRequests = createPendingClientRequests({ timeoutMs: 60_000 });
    const deps = { pendingClientRequests, log: pino({ level: 'silent' }) } as unknown as McpDeps;
    const upstream = { serverKey: 'acme/stdio' } as Upstream;
    // Instance Y runs the call on its own stdio process and relays the process's request.
    const relayed = relayClientRequest(
      deps,
      upstream,
      session,
      'process-of-instance-y',
      { jsonrpc: '2.0', id: 3, method: 'elicitation/create', params: {} },
      60_000,
    );
    assert.equal(typeof relayed.id, 'string');
    assert.doesNotMatch(String(relayed.id), /process-of/, 'upstream session ids stay hidden');
    const upstreamId = fromClientRequestId(relayed.id)!;
    assert.equal(upstreamId, 3);
    // Instance Z, where the answer lands, maps the session to its own process.
    const key = answerKey('acme/stdio', session, 'process-of-instance-z', relayed.id, upstreamId);
    assert.equal(key, pendingKey('acme/stdio', session, 'process-of-instance-y', 3));
    const answer = { jsonrpc: '2.0' as const, id: 3, result: { action: 'accept' } };
    assert.equal(await pendingClientRequests.settle(key, answer), 'here');
    assert.equal(await pendingClientRequests.settle(key, answer), 'unknown', 'answered once');
    pendingClientRequests.clear();
  });

  it('answers to ids without a scope name the session current upstream session', () => {
    assert.equal(
      answerKey('acme/stdio', session, 'process-z', toClientRequestId(3), 3),
      pendingKey('acme/stdio', session, 'process-z', 3),
    );
    assert.equal(
      answerKey('acme/http', session, null, toClientRequestId(3), 3),
      'acme/http|tag:tag1|number:3',
    );
  });
});
