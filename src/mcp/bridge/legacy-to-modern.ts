/**
 * A message on a 2025-era session whose upstream serves only 2026-07-28
 * (era bridging, legacy client → modern upstream). The upstream keeps no
 * session, so:
 *
 *   - `ping`, `logging/setLevel` and `resources/subscribe|unsubscribe` are
 *     answered by the gateway (the level and the URIs are remembered for
 *     the session's later requests and its GET stream);
 *   - every other request goes upstream as a modern request, and is
 *     answered round by round: while the upstream answers `input_required`
 *     its input requests are put to the client and the request is retried
 *     with the answers and the byte-exact `requestState`, at most 10 times;
 *   - `notifications/cancelled` aborts the request upstream (closing its
 *     stream is cancellation in the modern era); other notifications have
 *     no modern counterpart and are accepted;
 *   - responses answer the server→client requests the bridge sent.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import type { LegacySession } from '../../session/legacy-session.ts';
import { LOG_LEVELS, MODERN_VERSION } from '../../session/protocol-version.ts';
import { fromClientRequestId, toUpstreamId } from '../id-mapping.ts';
import { isNotification, isObject, isRequest, isResponse, resultResponse } from '../json-rpc.ts';
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { sendAccepted, sendJson } from '../reply.ts';
import { answerOf } from './answer-of.ts';
import { askLegacyClient } from './ask-legacy-client.ts';
import { createLazyReply } from './lazy-reply.ts';
import type { LazyReply } from './lazy-reply.ts';
import { toLegacyResponse } from './legacy-response.ts';
import { modernRequestHeaders, toModernRequest } from './modern-request.ts';
import type { Retry } from './modern-request.ts';

/** mcp-remote's cap, and the SDK's legacy shim's: an upstream asking for more is looping. */
const MAX_ROUNDS = 10;
const HEADER_MISMATCH = -32020;

/** Sends one modern request and reads its answer, relaying the request's notifications. */
async function exchange(
  call: McpCall,
  request: JsonRpcRequest,
  headers: Record<string, string>,
  reply: LazyReply,
  signal: AbortSignal,
): Promise<JsonRpcResponse> {
  const outcome = await call.upstream.post(request, {
    protocolVersion: MODERN_VERSION,
    headers,
    signal,
    timeoutMs: call.timeoutMs,
  });
  if (outcome.kind === 'json' && isResponse(outcome.message)) return outcome.message;
  if (outcome.kind === 'stream') {
    for await (const { message } of outcome.messages) {
      if (message === null) continue;
      if (isResponse(message)) return message;
      if (isNotification(message)) reply.send(message);
    }
  }
  throw new GatewayError(
    'upstream_protocol_error',
    `The upstream ${call.serverKey} did not answer ${request.method}.`,
  );
}

/** Learns the tools' header annotations (all pages of tools/list) after a call was refused for a missing one. */
async function learnToolHeaders(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  signal: AbortSignal,
): Promise<void> {
  let cursor: unknown;
  for (let page = 0; page < 50; page++) {
    const list: JsonRpcRequest = {
      jsonrpc: '2.0',
      id: `pc-tools.${crypto.randomBytes(6).toString('base64url')}`,
      method: 'tools/list',
      params: typeof cursor === 'string' ? { cursor } : {},
    };
    const outcome = await call.upstream.post(
      toModernRequest(list, String(list.id), session, undefined),
      {
        protocolVersion: MODERN_VERSION,
        headers: { 'mcp-method': 'tools/list' },
        signal,
        timeoutMs: call.timeoutMs,
      },
    );
    const answer = await answerOf(outcome, list.id);
    if (answer === undefined || !isObject(answer.result)) return;
    deps.bridge.toolHeaders.learn(call.serverKey, answer.result);
    cursor = answer.result.nextCursor;
    if (typeof cursor !== 'string') return;
  }
}

async function forwardAsModern(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcRequest,
  sessionHeader: Record<string, string>,
): Promise<void> {
  const controller = new AbortController();
  // A lost connection also ends the request upstream, as on the legacy path.
  const onGone = (): void => controller.abort();
  call.signal.addEventListener('abort', onGone, { once: true });
  const untrack = deps.bridge.legacySessions.track(
    session.tag,
    session.exp,
    message.id,
    controller,
  );
  const reply = createLazyReply(call.reply, call.record, sessionHeader);
  const started = performance.now();
  const logLevel = deps.bridge.legacySessions.logLevel(session.tag);
  const upstreamId = toUpstreamId(session.tag, message.id);
  let retry: Retry | undefined;
  let relearned = false;
  try {
    for (let round = 0; ; round++) {
      if (round > MAX_ROUNDS)
        throw new GatewayError(
          'upstream_protocol_error',
          `The upstream ${call.serverKey} asked for input more than ${MAX_ROUNDS} times.`,
        );
      const request = toModernRequest(
        message,
        round === 0 ? upstreamId : `${upstreamId}.r${round}`,
        session,
        logLevel,
        retry,
      );
      const headers = modernRequestHeaders(request, call.serverKey, deps.bridge.toolHeaders);
      const answer = await exchange(call, request, headers, reply, controller.signal);
      if (
        answer.error?.code === HEADER_MISMATCH &&
        message.method === 'tools/call' &&
        !relearned &&
        deps.bridge.toolHeaders.mayRefresh(call.serverKey)
      ) {
        relearned = true;
        await learnToolHeaders(call, deps, session, controller.signal);
        round--;
        continue;
      }
      const result = answer.result;
      if (
        answer.error !== undefined ||
        !isObject(result) ||
        result.resultType !== 'input_required'
      ) {
        call.record.upstreamLatencyMs = performance.now() - started;
        if (message.method === 'tools/list' && isObject(result))
          deps.bridge.toolHeaders.learn(call.serverKey, result);
        return reply.finish(toLegacyResponse(message.id, answer));
      }
      const input = await askLegacyClient(
        session,
        result.inputRequests,
        reply,
        deps.bridge.clientAnswers,
        controller.signal,
      );
      if (input.kind === 'refused')
        return reply.finish({ jsonrpc: '2.0', id: message.id, error: input.error });
      retry = {
        inputResponses: input.inputResponses,
        requestState: typeof result.requestState === 'string' ? result.requestState : undefined,
      };
    }
  } catch (error) {
    reply.fail(message.id, error);
  } finally {
    untrack();
    call.signal.removeEventListener('abort', onGone);
    controller.abort();
  }
}

function answerLocally(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcRequest,
  sessionHeader: Record<string, string>,
): boolean {
  const params = message.params ?? {};
  if (message.method === 'logging/setLevel') {
    if (typeof params.level !== 'string' || !LOG_LEVELS.includes(params.level))
      throw new GatewayError('invalid_params', 'logging/setLevel needs a valid params.level.');
    deps.bridge.legacySessions.setLogLevel(session.tag, session.exp, params.level);
  } else if (
    message.method === 'resources/subscribe' ||
    message.method === 'resources/unsubscribe'
  ) {
    if (typeof params.uri !== 'string')
      throw new GatewayError('invalid_params', `${message.method} needs params.uri.`);
    deps.bridge.legacySessions.setSubscribed(
      session.tag,
      session.exp,
      params.uri,
      message.method === 'resources/subscribe',
    );
  } else if (message.method !== 'ping') {
    return false;
  }
  sendJson(call.reply, call.record, 200, resultResponse(message.id, {}), sessionHeader);
  return true;
}

export async function bridgeLegacyMessage(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcMessage,
  sessionHeader: Record<string, string>,
): Promise<void> {
  if (isRequest(message)) {
    if (answerLocally(call, deps, session, message, sessionHeader)) return;
    return forwardAsModern(call, deps, session, message, sessionHeader);
  }
  if (isNotification(message)) {
    const requestId = message.params?.requestId;
    if (
      message.method === 'notifications/cancelled' &&
      (typeof requestId === 'string' || typeof requestId === 'number')
    )
      deps.bridge.legacySessions.cancel(session.tag, requestId);
    return sendAccepted(call.reply, call.record, sessionHeader);
  }
  call.record.method = '(response)';
  const requestId = fromClientRequestId(message.id);
  // The bridge's request ids carry the session's tag: a session answers only its own.
  if (typeof requestId !== 'string' || !requestId.startsWith(`${session.tag}.`))
    throw new GatewayError(
      'invalid_message',
      'This response does not answer any request the server sent.',
    );
  // An answer nobody waits for here came late, or to another instance: the waiting call times out.
  deps.bridge.clientAnswers.settle(message);
  sendAccepted(call.reply, call.record, sessionHeader);
}
