/**
 * Legacy-era GET: the session's standalone SSE stream (server requests and
 * notifications unrelated to a request), or, with Last-Event-ID, the replay
 * of a stream the client lost — both served by the upstream session.
 */
import { GatewayError } from '../../shared/errors.ts';
import { upstreamStatusOf } from '../../upstream/http-client.ts';
import type { StreamedMessage } from '../../upstream/upstream.ts';
import { bridgeLegacyGet } from '../bridge/legacy-get-on-modern.ts';
import { fromUpstreamId } from '../id-mapping.ts';
import { isRequest, isResponse } from '../json-rpc.ts';
import { header } from '../mcp-call.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { openSseStream } from '../sse-writer.ts';
import type { SseWriter } from '../sse-writer.ts';
import { requireSession } from './legacy-post.ts';
import { mapForSession } from './relay.ts';
import { currentUpstreamSessionId } from './upstream-binding.ts';

export const MCP_ALLOW = 'GET, POST, DELETE, OPTIONS';

export async function handleLegacyGet(call: McpCall, deps: McpDeps): Promise<void> {
  const accept = header(call.request, 'accept') ?? '';
  if (!accept.includes('text/event-stream') && !accept.includes('*/*'))
    throw new GatewayError(
      'not_acceptable',
      'Not Acceptable: a GET stream needs Accept: text/event-stream.',
    );
  const { id, session } = requireSession(call, deps);
  call.record.method = 'GET';
  if (session.uera !== 'legacy') return bridgeLegacyGet(call, deps, id, session);
  const upstreamSessionId = currentUpstreamSessionId(deps, session);
  const lastEventId = header(call.request, 'last-event-id');
  const forSession = (item: StreamedMessage): StreamedMessage | undefined => {
    if (item.message === null) return item;
    const mapped = mapForSession(
      deps,
      call.upstream,
      session,
      upstreamSessionId,
      item.message,
      call.timeoutMs,
    );
    return mapped === undefined ? undefined : { ...item, message: mapped };
  };
  const open = (signal: AbortSignal) =>
    call.upstream.listen({
      sessionId: upstreamSessionId,
      protocolVersion: session.ver,
      headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      signal,
      timeoutMs: call.timeoutMs,
    });

  let sse: SseWriter | undefined;
  const start = (): SseWriter => {
    call.reply.hijack();
    sse = openSseStream(call.reply.raw, 200, { 'mcp-session-id': id });
    return sse;
  };

  if (lastEventId) {
    // A replay belongs to one downstream session: its own upstream GET, not the shared one.
    const controller = new AbortController();
    const stream = await open(controller.signal).catch((error: unknown) => {
      // The event id is the only thing the client chose in a resumption GET.
      if (upstreamStatusOf(error) !== 400) throw error;
      throw new GatewayError(
        'bad_request',
        `The upstream refused to resume the stream from this Last-Event-ID: ${(error as Error).message}`,
        { data: { status: 400 } },
      );
    });
    if (stream === null)
      throw new GatewayError(
        'method_not_allowed',
        'The upstream does not offer stream resumption.',
        { headers: { allow: 'POST, DELETE, OPTIONS' } },
      );
    const writer = start();
    void writer.done.then(() => controller.abort());
    try {
      for await (const item of stream) {
        const mapped = forSession(item);
        if (mapped?.message && isRequest(mapped.message)) await deps.pendingClientRequests.shared();
        if (mapped) writer.send(mapped.message, mapped.eventId, mapped.retry);
        if (mapped?.message && isResponse(mapped.message)) break;
      }
    } catch {
      /* the client reconnects again if it still needs the stream */
    }
    call.record.bytesOut = writer.bytesWritten();
    writer.end();
    return;
  }

  const hubKey = `${call.serverKey}|${upstreamSessionId ?? session.tag}`;
  // Messages may arrive between the upstream answering and our response headers going out.
  const early: StreamedMessage[] = [];
  let ended = false;
  const detach = await deps.streamHub.attach(
    hubKey,
    {
      deliver(item) {
        const mapped = forSession(item);
        if (mapped === undefined) return;
        if (sse) sse.send(mapped.message, mapped.eventId, mapped.retry);
        else early.push(mapped);
      },
      closed() {
        ended = true;
        sse?.end();
      },
      accepts(item) {
        if (item.message === null) return true;
        if (isResponse(item.message))
          return fromUpstreamId(session.tag, item.message.id) !== undefined;
        return isRequest(item.message);
      },
    },
    open,
  );
  if (detach === null)
    throw new GatewayError(
      'method_not_allowed',
      'The upstream server offers no standalone stream.',
      { headers: { allow: 'POST, DELETE, OPTIONS' } },
    );
  const writer = start();
  for (const item of early.splice(0)) writer.send(item.message, item.eventId, item.retry);
  if (ended) writer.end();
  // An attached stream keeps its upstream session alive in the pool.
  if (upstreamSessionId !== null) deps.upstreamSessions.hold(upstreamSessionId);
  try {
    await writer.done;
  } finally {
    if (upstreamSessionId !== null) deps.upstreamSessions.release(upstreamSessionId);
    detach();
  }
  call.record.httpStatus = 200;
  call.record.bytesOut = writer.bytesWritten();
}

export async function handleLegacyDelete(call: McpCall, deps: McpDeps): Promise<void> {
  const { session } = requireSession(call, deps);
  call.record.method = 'DELETE';
  // The upstream session may be shared with other downstream sessions; the
  // pool ends it upstream when it goes idle.
  await deps.sessions.terminate(session);
  call.record.httpStatus = 200;
  call.reply.code(200).send();
}
