import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../auth/resource/principal.ts';
import type { InterceptContext, RequestVerdict } from '../mcp/intercept/interceptor.ts';
import type { JsonObject, JsonRpcRequest } from '../mcp/json-rpc.ts';
import { META } from '../session/protocol-version.ts';
import { createSealedBox } from '../session/sealed-box.ts';
import { createMemoryUsedOnce, type UsedOnce } from '../shared-state/used-once.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { CONFIRM_KEY, createConfirmation } from './confirmation.ts';

const server = {
  workspaceId: 'acme',
  id: 'files',
  name: 'Files',
} as ServerDefinition;

const alice: Principal = {
  kind: 'user',
  id: 'alice:client',
  userId: 'alice',
  workspaceId: null,
  apiKeyId: null,
  clientId: 'client',
};

const context: InterceptContext = {
  server,
  principal: alice,
  record: {} as RequestRecord,
  era: 'modern',
  clientCapabilities: { elicitation: {} },
};

let nextId = 0;
const call = (extra: JsonObject = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: ++nextId,
  method: 'tools/call',
  params: {
    name: 'delete_repo',
    arguments: { repo: 'acme/site' },
    _meta: { [META.protocolVersion]: '2026-07-28' },
    ...extra,
  },
});

const box = createSealedBox('confirmation-test-key-of-enough-length!!');

/** The sealed state of a first call, and the accepting retry that goes with it. */
async function acceptedRetry(confirmation: ReturnType<typeof createConfirmation>) {
  const first = await confirmation.confirm(call(), 'delete_repo', context);
  assert.equal(first.kind, 'answer');
  const requestState = first.message.result!.requestState as string;
  return () => call({ requestState, inputResponses: { [CONFIRM_KEY]: { action: 'accept' } } });
}

function refusedAsMismatch(verdict: RequestVerdict): void {
  assert.equal(verdict.kind, 'answer');
  assert.equal(verdict.message.error?.code, -32602);
  assert.match(verdict.message.error.message, /does not match this call/);
}

describe('confirmation: an accepted requestState is single-use', () => {
  it('forwards the first accepted retry and refuses the same state sent again', async () => {
    const confirmation = createConfirmation({ box, usedOnce: createMemoryUsedOnce() });
    const retry = await acceptedRetry(confirmation);
    assert.equal((await confirmation.confirm(retry(), 'delete_repo', context)).kind, 'forward');
    refusedAsMismatch(await confirmation.confirm(retry(), 'delete_repo', context));
  });

  it('refuses the replay on another instance sharing the used-once set', async () => {
    const usedOnce = createMemoryUsedOnce();
    const one = createConfirmation({ box, usedOnce });
    const two = createConfirmation({ box, usedOnce });
    const retry = await acceptedRetry(one);
    assert.equal((await one.confirm(retry(), 'delete_repo', context)).kind, 'forward');
    refusedAsMismatch(await two.confirm(retry(), 'delete_repo', context));
  });

  it('lets only one of concurrent accepted retries through', async () => {
    const confirmation = createConfirmation({ box, usedOnce: createMemoryUsedOnce() });
    const retry = await acceptedRetry(confirmation);
    const verdicts = await Promise.all(
      Array.from({ length: 10 }, () => confirmation.confirm(retry(), 'delete_repo', context)),
    );
    assert.equal(verdicts.filter((verdict) => verdict.kind === 'forward').length, 1);
  });

  it('a fresh call after a used confirmation is asked again, and its own state works once', async () => {
    const confirmation = createConfirmation({ box, usedOnce: createMemoryUsedOnce() });
    const first = await acceptedRetry(confirmation);
    assert.equal((await confirmation.confirm(first(), 'delete_repo', context)).kind, 'forward');
    const second = await acceptedRetry(confirmation);
    assert.equal((await confirmation.confirm(second(), 'delete_repo', context)).kind, 'forward');
  });

  it('a declined answer does not spend the state (nothing ran)', async () => {
    const confirmation = createConfirmation({ box, usedOnce: createMemoryUsedOnce() });
    const first = await confirmation.confirm(call(), 'delete_repo', context);
    assert.equal(first.kind, 'answer');
    const requestState = first.message.result!.requestState as string;
    const declined = await confirmation.confirm(
      call({ requestState, inputResponses: { [CONFIRM_KEY]: { action: 'decline' } } }),
      'delete_repo',
      context,
    );
    assert.equal(declined.kind, 'answer');
    assert.equal((declined.message.error?.data as JsonObject).reason, 'confirmation_declined');
    const accepted = call({
      requestState,
      inputResponses: { [CONFIRM_KEY]: { action: 'accept' } },
    });
    assert.equal((await confirmation.confirm(accepted, 'delete_repo', context)).kind, 'forward');
  });

  it('refuses, retryable, when the used-once set cannot be reached: the call does not run', async () => {
    const unreachable: UsedOnce = {
      use: () => Promise.reject(new GatewayError('shared_state_unavailable', 'Redis is down.')),
    };
    const confirmation = createConfirmation({ box, usedOnce: unreachable });
    const retry = await acceptedRetry(confirmation);
    const verdict = await confirmation.confirm(retry(), 'delete_repo', context);
    assert.equal(verdict.kind, 'answer');
    assert.equal((verdict.message.error?.data as JsonObject).reason, 'shared_state_unavailable');
  });
});
