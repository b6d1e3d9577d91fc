/**
 * Relays upstream stream messages to one downstream legacy session, mapping
 * ids back: responses to the session's own requests get their original ids,
 * server→client requests get gateway ids and a timeout, notifications pass
 * as they are. Messages for other downstream sessions are skipped.
 */
import crypto from 'node:crypto';
import type { LegacySession } from '../../session/legacy-session.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { isObject, isRequest, isResponse } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../json-rpc.ts';
import {
  clientRequestScope,
  fromUpstreamId,
  toClientRequestId,
  toUpstreamId,
} from '../id-mapping.ts';
import type { McpDeps } from '../mcp-call.ts';

/**
 * The scope of a server→client request that came on an upstream session: a
 * digest of the session id (clients never see upstream session ids), carried
 * in the id the client answers.
 */
export function upstreamScope(upstreamSessionId: string): string {
  return crypto.createHash('sha256').update(upstreamSessionId).digest('base64url').slice(0, 22);
}

/**
 * Names a server→client request awaiting the client's answer: per server and
 * upstream session, or per downstream session when the upstream is
 * stateless, so no other session can answer (or shadow) it.
 */
export function pendingKey(
  serverKey: string,
  session: LegacySession,
  upstreamSessionId: string | null,
  upstreamRequestId: JsonRpcId,
): string {
  const scope = upstreamSessionId === null ? undefined : upstreamScope(upstreamSessionId);
  return keyIn(serverKey, session, scope, upstreamRequestId);
}

function keyIn(
  serverKey: string,
  session: LegacySession,
  scope: string | undefined,
  upstreamRequestId: JsonRpcId,
): string {
  const where = scope === undefined ? `tag:${session.tag}` : `up:${scope}`;
  return `${serverKey}|${where}|${typeof upstreamRequestId}:${upstreamRequestId}`;
}

/**
 * The key of the request a client's answer names. The scope comes from the
 * answered id, not from this instance's view of the session: the request may
 * have come from an upstream session this instance does not hold (a stdio
 * process of another instance, which the downstream session was mapped to
 * there). Ids without a scope (relayed before scopes existed) use the
 * session's current upstream session, as before.
 */
export function answerKey(
  serverKey: string,
  session: LegacySession,
  currentUpstreamSessionId: string | null,
  clientRequestId: unknown,
  upstreamRequestId: JsonRpcId,
): string {
  const scope = clientRequestScope(clientRequestId);
  return scope === undefined
    ? pendingKey(serverKey, session, currentUpstreamSessionId, upstreamRequestId)
    : keyIn(serverKey, session, scope, upstreamRequestId);
}

function clientIdOf(upstreamSessionId: string | null, upstreamRequestId: JsonRpcId): string {
  return upstreamSessionId === null
    ? toClientRequestId(upstreamRequestId)
    : toClientRequestId(upstreamRequestId, upstreamScope(upstreamSessionId));
}

/** Starts the clock on a server→client request and returns it as the client must see it. */
export function relayClientRequest(
  deps: McpDeps,
  upstream: Upstream,
  session: LegacySession,
  upstreamSessionId: string | null,
  request: JsonRpcRequest,
  timeoutMs: number,
): JsonRpcRequest {
  const call = { sessionId: upstreamSessionId, protocolVersion: session.ver, timeoutMs };
  deps.pendingClientRequests.register(
    pendingKey(upstream.serverKey, session, upstreamSessionId, request.id),
    {
      timedOut() {
        deps.log.warn(
          { server: upstream.serverKey, method: request.method },
          'client did not answer a server request in time; failing it upstream',
        );
        void upstream
          .post(
            {
              jsonrpc: '2.0',
              id: request.id,
              error: {
                code: -32001,
                message: `The client did not answer ${request.method} in time.`,
              },
            },
            call,
          )
          .catch(() => undefined);
      },
      // The answer reached another instance; this one holds the upstream exchange.
      async deliver(answer) {
        const outcome = await upstream.post({ ...answer, id: request.id }, call);
        if (outcome.kind === 'stream') for await (const _ of outcome.messages) break;
      },
    },
  );
  return { ...request, id: clientIdOf(upstreamSessionId, request.id) };
}

/**
 * Maps one upstream message for the downstream session; undefined when the
 * message belongs to another session.
 */
export function mapForSession(
  deps: McpDeps,
  upstream: Upstream,
  session: LegacySession,
  upstreamSessionId: string | null,
  message: JsonRpcMessage,
  timeoutMs: number,
): JsonRpcMessage | undefined {
  if (isResponse(message)) {
    const id = fromUpstreamId(session.tag, message.id);
    return id === undefined ? undefined : { ...message, id };
  }
  if (isRequest(message))
    return relayClientRequest(deps, upstream, session, upstreamSessionId, message, timeoutMs);
  const params = 'params' in message && isObject(message.params) ? message.params : undefined;
  if (message.method === 'notifications/progress' && params !== undefined) {
    // Progress tokens went up namespaced by session (toUpstreamToken): only the owner gets them.
    const token = fromUpstreamId(session.tag, params.progressToken);
    return token === undefined
      ? undefined
      : { ...message, params: { ...params, progressToken: token } };
  }
  if (message.method === 'notifications/cancelled' && params !== undefined) {
    // The upstream cancels one of its own requests, which the client knows by its gateway id.
    const id = params.requestId;
    if (typeof id === 'string' || typeof id === 'number')
      return { ...message, params: { ...params, requestId: clientIdOf(upstreamSessionId, id) } };
  }
  return message;
}

/**
 * The request as it goes upstream: its id, and its progress token if it
 * asked for progress, namespaced by the downstream session (several
 * downstream sessions may share one upstream session).
 */
export function toUpstreamRequest(session: LegacySession, message: JsonRpcRequest): JsonRpcRequest {
  const upstream: JsonRpcRequest = { ...message, id: toUpstreamId(session.tag, message.id) };
  const meta = message.params?._meta;
  if (
    isObject(meta) &&
    (typeof meta.progressToken === 'string' || typeof meta.progressToken === 'number')
  ) {
    upstream.params = {
      ...message.params,
      _meta: { ...meta, progressToken: toUpstreamId(session.tag, meta.progressToken) },
    };
  }
  return upstream;
}
