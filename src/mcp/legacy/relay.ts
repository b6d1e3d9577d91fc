/**
 * Relays upstream stream messages to one downstream legacy session, mapping
 * ids back: responses to the session's own requests get their original ids,
 * server→client requests get gateway ids and a timeout, notifications pass
 * as they are. Messages for other downstream sessions are skipped.
 */
import type { LegacySession } from '../../session/legacy-session.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { isRequest, isResponse } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../json-rpc.ts';
import { fromUpstreamId, toClientRequestId } from '../id-mapping.ts';
import type { McpDeps } from '../mcp-call.ts';

export function pendingKey(upstreamSessionId: string | null, upstreamRequestId: JsonRpcId): string {
  return `${upstreamSessionId ?? '-'}|${typeof upstreamRequestId}:${upstreamRequestId}`;
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
  deps.pendingClientRequests.register(pendingKey(upstreamSessionId, request.id), () => {
    deps.log.warn(
      { server: upstream.serverKey, method: request.method },
      'client did not answer a server request in time; failing it upstream',
    );
    void upstream
      .post(
        {
          jsonrpc: '2.0',
          id: request.id,
          error: { code: -32001, message: `The client did not answer ${request.method} in time.` },
        },
        { sessionId: upstreamSessionId, protocolVersion: session.ver, timeoutMs },
      )
      .catch(() => undefined);
  });
  return { ...request, id: toClientRequestId(request.id) };
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
  return message;
}
