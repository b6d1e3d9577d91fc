/**
 * Legacy-era POST: one message (or a 2025-03-26 batch) on an existing
 * session, relayed to the session's upstream session.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { LegacySession } from '../../session/legacy-session.ts';
import { isLegacyVersion } from '../../session/protocol-version.ts';
import { bridgeLegacyMessage } from '../bridge/legacy-to-modern.ts';
import { fromClientRequestId, fromUpstreamId, toUpstreamId } from '../id-mapping.ts';
import { isNotification, isRequest, isResponse } from '../json-rpc.ts';
import type {
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from '../json-rpc.ts';
import { header } from '../mcp-call.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { gatewayErrorResponse, recordAnswer, sendAccepted, sendJson } from '../reply.ts';
import { openSseStream } from '../sse-writer.ts';
import { noteClientInfo } from '../../telemetry/client-info.ts';
import { answerKey, mapForSession, toUpstreamRequest } from './relay.ts';
import { currentUpstreamSessionId, sendToUpstreamSession } from './upstream-binding.ts';

/** Opens the session named by Mcp-Session-Id, or explains why not. */
export function requireSession(
  call: McpCall,
  deps: McpDeps,
): { id: string; session: LegacySession } {
  const id = header(call.request, 'mcp-session-id');
  if (id === undefined || id === '')
    throw new GatewayError(
      'missing_session',
      'Bad Request: Mcp-Session-Id header is required; send initialize first.',
    );
  const session = deps.sessions.open(id, call.server.workspaceId, call.server.id);
  // A session presented by another principal is reported as unknown, never as someone else's.
  if (session === undefined || session.pid !== call.principal.id)
    throw new GatewayError('session_not_found', 'Session not found; initialize again.');
  const version = header(call.request, 'mcp-protocol-version');
  if (version !== undefined && !isLegacyVersion(version)) {
    throw new GatewayError(
      'unsupported_protocol_version',
      `Unsupported MCP-Protocol-Version: ${version}.`,
      { data: { supported: [session.ver], requested: version } },
    );
  }
  call.record.protocolVersion = session.ver;
  call.record.sessionTag = session.tag;
  noteClientInfo(call.record, session.ci);
  return { id, session };
}

/** Sends a message that expects no answer (notification or client response) and answers 202. */
async function deliverAndAccept(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcMessage,
  sessionHeader: Record<string, string>,
): Promise<void> {
  const { outcome } = await sendToUpstreamSession(call, deps, session, message);
  if (outcome.kind === 'stream') for await (const _ of outcome.messages) break;
  sendAccepted(call.reply, call.record, sessionHeader);
}

async function forwardNotification(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcNotification,
  sessionHeader: Record<string, string>,
): Promise<void> {
  // The gateway sent notifications/initialized itself when it opened the upstream session.
  if (message.method === 'notifications/initialized')
    return sendAccepted(call.reply, call.record, sessionHeader);
  let outgoing: JsonRpcNotification = message;
  if (
    message.method === 'notifications/cancelled' &&
    message.params &&
    (typeof message.params.requestId === 'string' || typeof message.params.requestId === 'number')
  ) {
    outgoing = {
      ...message,
      params: { ...message.params, requestId: toUpstreamId(session.tag, message.params.requestId) },
    };
  }
  return deliverAndAccept(call, deps, session, outgoing, sessionHeader);
}

async function forwardClientAnswer(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcResponse,
  sessionHeader: Record<string, string>,
): Promise<void> {
  const upstreamId = fromClientRequestId(message.id);
  if (upstreamId === undefined)
    throw new GatewayError(
      'invalid_message',
      'This response does not answer any request the server sent.',
    );
  call.record.method = '(response)';
  const answer = { ...message, id: upstreamId };
  const settled = await deps.pendingClientRequests.settle(
    answerKey(
      call.serverKey,
      session,
      currentUpstreamSessionId(deps, session),
      message.id,
      upstreamId,
    ),
    answer,
  );
  // Claimed here, or its owner is gone and the upstream session is reachable over HTTP from
  // any instance: delivered from here. Forwarded: the owner delivers it. A late answer to a
  // request that already timed out is dropped: the upstream got an error instead.
  if (settled === 'here' || (settled === 'orphaned' && call.server.transport === 'http'))
    return deliverAndAccept(call, deps, session, answer, sessionHeader);
  return sendAccepted(call.reply, call.record, sessionHeader);
}

async function forwardRequest(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcRequest,
  sessionHeader: Record<string, string>,
): Promise<void> {
  const started = performance.now();
  const { outcome, upstreamSessionId } = await sendToUpstreamSession(
    call,
    deps,
    session,
    toUpstreamRequest(session, message),
  );
  if (outcome.kind === 'accepted')
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${call.serverKey} accepted a request without answering it.`,
    );
  if (outcome.kind === 'json') {
    call.record.upstreamLatencyMs = performance.now() - started;
    const mapped = isResponse(outcome.message)
      ? fromUpstreamId(session.tag, outcome.message.id)
      : undefined;
    // Only this request's answer may answer this POST (another id would settle another call).
    if (mapped !== message.id)
      throw new GatewayError(
        'upstream_protocol_error',
        `The upstream ${call.serverKey} answered with a mismatched id.`,
      );
    return sendJson(
      call.reply,
      call.record,
      outcome.status,
      { ...outcome.message, id: mapped },
      sessionHeader,
    );
  }

  call.reply.hijack();
  const sse = openSseStream(call.reply.raw, 200, sessionHeader);
  let answered = false;
  let sawEventId = false;
  try {
    const iterator = outcome.messages[Symbol.asyncIterator]();
    const gone = sse.done.then(() => ({ done: true as const, value: undefined }));
    for (;;) {
      const next = await Promise.race([iterator.next(), gone]);
      if (next.done) break;
      const { message: upstreamMessage, eventId, retry } = next.value;
      if (eventId !== undefined) sawEventId = true;
      if (upstreamMessage === null) {
        sse.send(null, eventId, retry);
        continue;
      }
      const mapped = mapForSession(
        deps,
        call.upstream,
        session,
        upstreamSessionId,
        upstreamMessage,
        call.timeoutMs,
      );
      // A response to any other request has no place on this request's stream.
      if (mapped === undefined || (isResponse(mapped) && mapped.id !== message.id)) continue;
      if (isRequest(mapped)) await deps.pendingClientRequests.shared();
      sse.send(mapped, eventId, retry);
      if (isResponse(mapped) && mapped.id === message.id) {
        answered = true;
        call.record.upstreamLatencyMs = performance.now() - started;
        recordAnswer(call.record, mapped);
        break;
      }
    }
  } catch (error) {
    if (!answered && !sse.closed) {
      const failure =
        error instanceof GatewayError
          ? error
          : new GatewayError('upstream_unavailable', undefined, { cause: error });
      const response = gatewayErrorResponse(message.id, failure);
      sse.send(response);
      recordAnswer(call.record, response);
      call.record.errorMessage = failure.code;
      answered = true;
    }
  }
  // Answered or abandoned: the upstream stream is of no further use here (a
  // pending read would otherwise wait for the upstream's next event).
  outcome.close?.();
  // An upstream that closed the stream after an event id expects the client
  // to resume with GET + Last-Event-ID (SEP-1699 polling); otherwise the
  // request would be left unanswered, so the client gets an error.
  if (!answered && !sse.closed && !sawEventId) {
    const failure = new GatewayError(
      'upstream_unavailable',
      `The upstream ${call.serverKey} ended the stream without answering.`,
    );
    const response = gatewayErrorResponse(message.id, failure);
    sse.send(response);
    recordAnswer(call.record, response);
  }
  call.record.httpStatus = 200;
  call.record.bytesOut = sse.bytesWritten();
  sse.end();
}

export async function handleLegacyMessage(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcMessage,
): Promise<void> {
  const { id, session } = requireSession(call, deps);
  const sessionHeader = { 'mcp-session-id': id };
  if (session.uera !== 'legacy')
    return bridgeLegacyMessage(call, deps, session, message, sessionHeader);
  if (isRequest(message)) return forwardRequest(call, deps, session, message, sessionHeader);
  if (isNotification(message))
    return forwardNotification(call, deps, session, message, sessionHeader);
  return forwardClientAnswer(call, deps, session, message, sessionHeader);
}

/** 2025-03-26 batches: each element handled in order, answers collected into one JSON array. */
export async function handleLegacyBatch(
  call: McpCall,
  deps: McpDeps,
  messages: JsonRpcMessage[],
): Promise<void> {
  const { id, session } = requireSession(call, deps);
  if (session.ver !== '2025-03-26') throw new GatewayError('batch_not_allowed');
  if (session.uera !== 'legacy')
    throw new GatewayError(
      'batch_not_allowed',
      'This server speaks only the 2026-07-28 protocol upstream, which has no batches; send messages one by one.',
    );
  if (
    messages.some((message) => isResponse(message) && fromClientRequestId(message.id) === undefined)
  )
    throw new GatewayError(
      'invalid_message',
      'A response in the batch does not answer any request the server sent.',
    );
  const outgoing: JsonRpcMessage[] = [];
  for (const message of messages) {
    if (isRequest(message)) {
      outgoing.push(toUpstreamRequest(session, message));
    } else if (isResponse(message)) {
      const upstreamId = fromClientRequestId(message.id)!;
      const answer = { ...message, id: upstreamId };
      const settled = await deps.pendingClientRequests.settle(
        answerKey(
          call.serverKey,
          session,
          currentUpstreamSessionId(deps, session),
          message.id,
          upstreamId,
        ),
        answer,
      );
      // The instance the request is owned by delivers it.
      if (settled !== 'forwarded') outgoing.push(answer);
    } else {
      outgoing.push(message);
    }
  }
  if (outgoing.length === 0) return sendAccepted(call.reply, call.record, { 'mcp-session-id': id });
  const { outcome, upstreamSessionId } = await sendToUpstreamSession(call, deps, session, outgoing);
  const answers: JsonRpcMessage[] = [];
  const collect = (value: unknown): void => {
    for (const item of Array.isArray(value)
      ? (value as JsonRpcMessage[])
      : [value as JsonRpcMessage]) {
      if (isRequest(item)) {
        // A batch is answered as one JSON array: a server→client request in it
        // could never reach the client, so the upstream gets an error at once.
        void call.upstream
          .post(
            {
              jsonrpc: '2.0',
              id: item.id,
              error: {
                code: -32001,
                message: 'Server requests cannot be relayed inside a JSON-RPC batch.',
              },
            },
            {
              sessionId: upstreamSessionId,
              protocolVersion: session.ver,
              timeoutMs: call.timeoutMs,
            },
          )
          .catch(() => undefined);
        continue;
      }
      const mapped = mapForSession(
        deps,
        call.upstream,
        session,
        upstreamSessionId,
        item,
        call.timeoutMs,
      );
      if (mapped !== undefined && isResponse(mapped)) answers.push(mapped);
    }
  };
  if (outcome.kind === 'json') collect(outcome.message);
  if (outcome.kind === 'stream')
    for await (const item of outcome.messages) if (item.message) collect(item.message);
  if (answers.length === 0) return sendAccepted(call.reply, call.record, { 'mcp-session-id': id });
  sendJson(call.reply, call.record, 200, answers, { 'mcp-session-id': id });
}
