/**
 * A 2026-07-28 client's request to a legacy-only upstream (era bridging,
 * modern client → legacy upstream). In order:
 *
 *   1. a version other than 2026-07-28 gets 400 / -32022, methods the
 *      modern era removed get 404 / -32601 (streamable-http);
 *   2. `subscriptions/listen` is bridged onto the upstream's GET stream;
 *   3. a retry carrying `requestState` continues the call it names;
 *   4. `server/discover` is answered from the upstream's InitializeResult;
 *   5. anything else runs on the pooled upstream session for the client's
 *      declared capabilities, with its id rewritten, and is answered round
 *      by round: `input_required` while the upstream asks for input, then
 *      the final result, completed with the modern-only result fields.
 *
 * Closing the response stream cancels the call (`notifications/cancelled`
 * upstream with the upstream's request id), as the modern era defines.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import { LOG_LEVELS, MODERN_VERSION } from '../../session/protocol-version.ts';
import type { StreamedMessage } from '../../upstream/upstream.ts';
import { toUpstreamId } from '../id-mapping.ts';
import { isObject, isResponse, metaOf, resultResponse } from '../json-rpc.ts';
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { sendJson } from '../reply.ts';
import { acquireBridgedSession, postOnBridgedSession } from './bridged-session.ts';
import { checkToolParams } from './check-tool-params.ts';
import { discoverFromInitialize } from './discover-from-initialize.ts';
import { MRTR_METHODS, startHeldCall } from './held-call.ts';
import type { HeldCall } from './held-call.ts';
import { createLazyReply } from './lazy-reply.ts';
import type { LazyReply } from './lazy-reply.ts';
import { bridgeListen } from './listen-on-legacy.ts';
import { legacyParams, readModernEnvelope } from './modern-envelope.ts';
import type { ModernEnvelope } from './modern-envelope.ts';
import { toModernResponse, withServerInfo } from './modern-response.ts';
import { requestDigest } from './request-state.ts';
import type { RequestStateBinding } from './request-state.ts';

/** Removed in 2026-07-28; a modern server answers them 404 / -32601 (server-stateless). */
const REMOVED_METHODS = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

const METHOD_NOT_FOUND = -32601;

function binding(call: McpCall, message: JsonRpcRequest): RequestStateBinding {
  return {
    pid: call.principal.id,
    ws: call.server.workspaceId,
    srv: call.server.id,
    digest: requestDigest(message),
  };
}

/**
 * The call's notifications as this round's request may see them: progress
 * under this request's own token (a retry is a new request), log messages
 * only when it asked for them with `logLevel`, at or above that level.
 */
function relayFor(
  message: JsonRpcRequest,
  envelope: ModernEnvelope,
  reply: LazyReply,
): (notification: JsonRpcMessage) => void {
  const token = metaOf(message)?.progressToken;
  const threshold = envelope.logLevel === undefined ? -1 : LOG_LEVELS.indexOf(envelope.logLevel);
  return (notification) => {
    if (!('method' in notification) || !isObject(notification.params)) return;
    if (notification.method === 'notifications/progress') {
      if (typeof token !== 'string' && typeof token !== 'number') return;
      reply.send({ ...notification, params: { ...notification.params, progressToken: token } });
    } else if (notification.method === 'notifications/message' && threshold >= 0) {
      const level = LOG_LEVELS.indexOf(String(notification.params.level));
      if (level >= threshold) reply.send(notification);
    }
  };
}

async function runRound(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
  envelope: ModernEnvelope,
  held: HeldCall,
): Promise<void> {
  const reply = createLazyReply(call.reply, call.record);
  let outcome;
  try {
    outcome = await held.next(relayFor(message, envelope, reply), call.signal);
  } catch (error) {
    return reply.fail(message.id, error);
  }
  if (outcome.kind === 'gone') {
    held.cancel('The client closed the request.');
    return reply.fail(
      message.id,
      new GatewayError('upstream_unavailable', 'The client closed the request.'),
    );
  }
  if (outcome.kind === 'final') {
    const { answer } = outcome;
    if (message.method === 'tools/list' && isObject(answer.result))
      deps.bridge.toolHeaders.learn(call.serverKey, answer.result);
    // A modern server answers an unknown method with HTTP 404 (streamable-http).
    const status = answer.error?.code === METHOD_NOT_FOUND ? 404 : 200;
    return reply.finish(toModernResponse(message.id, message, answer, held.serverInfo), status);
  }
  held.round += 1;
  const requestState = deps.bridge.requestState.seal(
    { call: held.id, round: held.round },
    binding(call, message),
  );
  deps.bridge.heldCalls.park(held);
  reply.finish(
    resultResponse(
      message.id,
      withServerInfo(
        { resultType: 'input_required', inputRequests: outcome.inputRequests, requestState },
        held.serverInfo,
      ),
    ),
  );
}

async function continueCall(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
  envelope: ModernEnvelope,
  state: unknown,
): Promise<void> {
  if (typeof state !== 'string' || !MRTR_METHODS.has(message.method))
    throw new GatewayError(
      'invalid_params',
      'requestState is only accepted as a string on a retry of tools/call, prompts/get or resources/read.',
    );
  const claim = deps.bridge.requestState.open(state, binding(call, message));
  if (claim === undefined)
    throw new GatewayError(
      'invalid_params',
      'The requestState is not valid for this request: it was modified, has expired, or was issued for another request.',
    );
  const held = deps.bridge.heldCalls.take(claim.call, claim.round);
  if (held === undefined)
    throw new GatewayError(
      'invalid_params',
      'The call this requestState continues is no longer held (it timed out, was already retried, or is held by another gateway instance); send the request again without requestState.',
    );
  if (held.round !== claim.round) {
    deps.bridge.heldCalls.park(held);
    throw new GatewayError('invalid_params', 'This requestState belongs to an earlier round.');
  }
  try {
    await held.answer(message.params?.inputResponses);
  } catch (error) {
    held.cancel('The gateway could not deliver the client input.');
    throw error;
  }
  return runRound(call, deps, message, envelope, held);
}

/** Legacy servers send log messages at their own default level; the bridge asks for all and filters per request. */
async function openLogLevel(call: McpCall, deps: McpDeps, envelope: ModernEnvelope): Promise<void> {
  const session = await acquireBridgedSession(call, deps, envelope);
  const capabilities = session.result.capabilities;
  if (session.sessionId === null || !isObject(capabilities) || !isObject(capabilities.logging))
    return;
  if (!deps.bridge.openLogLevel(session.sessionId)) return;
  const outcome = await call.upstream.post(
    {
      jsonrpc: '2.0',
      id: `pc-log.${crypto.randomBytes(6).toString('base64url')}`,
      method: 'logging/setLevel',
      params: { level: 'debug' },
    },
    {
      sessionId: deps.upstreamSessions.resolve(
        `${call.serverKey}|${call.principal.id}`,
        session.sessionId,
      ),
      protocolVersion: session.protocolVersion,
      timeoutMs: call.timeoutMs,
    },
  );
  if (outcome.kind === 'stream') for await (const _ of outcome.messages) break;
}

async function startCall(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
  envelope: ModernEnvelope,
): Promise<void> {
  const upstreamRequestId = toUpstreamId(
    `b${crypto.randomBytes(9).toString('base64url')}`,
    message.id,
  );
  if (message.method === 'tools/call') await checkToolParams(call, deps, envelope, message);
  if (envelope.logLevel !== undefined)
    await openLogLevel(call, deps, envelope).catch(() => undefined);
  // Until the upstream answers, a client that goes away cancels the exchange itself.
  const controller = new AbortController();
  const onGone = (): void => controller.abort();
  call.signal.addEventListener('abort', onGone, { once: true });
  const started = performance.now();
  let posted;
  try {
    posted = await postOnBridgedSession(
      call,
      deps,
      envelope,
      {
        jsonrpc: '2.0',
        id: upstreamRequestId,
        method: message.method,
        ...(message.params === undefined ? {} : { params: legacyParams(message) }),
      },
      controller.signal,
    );
  } finally {
    call.signal.removeEventListener('abort', onGone);
  }
  const { outcome, session } = posted;
  call.record.upstreamLatencyMs = performance.now() - started;
  let answer: JsonRpcResponse | AsyncIterable<StreamedMessage>;
  if (outcome.kind === 'stream') answer = outcome.messages;
  else if (outcome.kind === 'json' && isResponse(outcome.message)) answer = outcome.message;
  else
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${call.serverKey} did not answer ${message.method}.`,
    );
  const held = startHeldCall(
    {
      id: deps.bridge.heldCalls.newId(),
      upstream: call.upstream,
      sessionId: session.sessionId,
      protocolVersion: session.protocolVersion,
      upstreamRequestId,
      method: message.method,
      serverInfo: session.result.serverInfo,
      timeoutMs: call.timeoutMs,
      controller,
    },
    answer,
  );
  return runRound(call, deps, message, envelope, held);
}

export async function bridgeModernRequest(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
): Promise<void> {
  const envelope = readModernEnvelope(message);
  // The gateway serves this request itself, so it checks the version as a modern server would,
  // before it looks at the method.
  if (envelope.protocolVersion !== MODERN_VERSION)
    throw new GatewayError(
      'unsupported_protocol_version',
      `Unsupported protocol version: ${String(envelope.protocolVersion)}.`,
      { data: { supported: [MODERN_VERSION], requested: envelope.protocolVersion } },
    );
  if (REMOVED_METHODS.has(message.method))
    throw new GatewayError('method_not_found', 'Method not found');
  if (message.method === 'subscriptions/listen') return bridgeListen(call, deps, message, envelope);
  const state = message.params?.requestState;
  if (state !== undefined) return continueCall(call, deps, message, envelope, state);
  if (message.method === 'server/discover') {
    const session = await acquireBridgedSession(call, deps, envelope);
    return sendJson(
      call.reply,
      call.record,
      200,
      resultResponse(message.id, discoverFromInitialize(session.result)),
    );
  }
  return startCall(call, deps, message, envelope);
}
