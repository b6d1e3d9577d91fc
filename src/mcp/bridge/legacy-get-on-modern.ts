/**
 * The standalone GET stream of a 2025-era session bridged to a modern-only
 * upstream: the gateway opens `subscriptions/listen` upstream on the
 * session's behalf (the list changes the upstream declares, plus the URIs
 * the session subscribed to) and re-emits its notifications as the legacy
 * notifications they are, without the subscription id.
 *
 * When the session subscribes or unsubscribes while the stream is open, a
 * listen stream with the new filter replaces the old one once it is
 * acknowledged, so no notification falls in between. When the upstream
 * ends its stream, the GET stream ends too and the client reconnects
 * (legacy GET streams are the client's to re-open).
 */
import crypto from 'node:crypto';
import type { LegacySession } from '../../session/legacy-session.ts';
import { META, MODERN_VERSION } from '../../session/protocol-version.ts';
import { discard } from '../../upstream/http-client.ts';
import { parseSse } from '../../upstream/sse-parser.ts';
import { isNotification, isObject, isResponse } from '../json-rpc.ts';
import type { JsonObject, JsonRpcMessage, JsonRpcNotification } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { openSseStream } from '../sse-writer.ts';
import type { SseWriter } from '../sse-writer.ts';
import { toModernRequest } from './modern-request.ts';

function flag(capabilities: unknown, name: string, key: string): boolean {
  if (!isObject(capabilities)) return false;
  const entry = capabilities[name];
  return isObject(entry) && entry[key] === true;
}

function untagged(notification: JsonRpcNotification): JsonRpcNotification {
  const meta = notification.params?._meta;
  if (!isObject(meta) || !(META.subscriptionId in meta)) return notification;
  const { [META.subscriptionId]: subscriptionId, ...rest } = meta;
  void subscriptionId;
  const { _meta, ...params } = notification.params ?? {};
  void _meta;
  return {
    ...notification,
    params: Object.keys(rest).length > 0 ? { ...params, _meta: rest } : params,
  };
}

/** Runs one upstream listen stream until it ends; `acknowledged` runs once the upstream confirms it. */
async function listenUpstream(
  call: McpCall,
  session: LegacySession,
  filter: JsonObject,
  signal: AbortSignal,
  acknowledged: () => void,
  deliver: (notification: JsonRpcNotification) => void,
): Promise<void> {
  const id = `${session.tag}.listen.${crypto.randomBytes(6).toString('base64url')}`;
  const request = toModernRequest(
    { jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications: filter } },
    id,
    session,
    undefined,
  );
  const reply = await call.upstream.forward(JSON.stringify(request), {
    protocolVersion: MODERN_VERSION,
    headers: { 'mcp-method': 'subscriptions/listen' },
    signal,
    timeoutMs: call.timeoutMs,
  });
  if (reply.status >= 300 || reply.contentType !== 'text/event-stream') {
    discard(reply.body);
    return;
  }
  for await (const event of parseSse(reply.body as AsyncIterable<Buffer>)) {
    if (event.event !== 'message' || event.data === '') continue;
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(event.data) as JsonRpcMessage;
    } catch {
      continue;
    }
    if (isResponse(message)) return;
    if (!isNotification(message)) continue;
    if (message.method === 'notifications/subscriptions/acknowledged') acknowledged();
    else deliver(untagged(message));
  }
}

export async function bridgeLegacyGet(
  call: McpCall,
  deps: McpDeps,
  sessionId: string,
  session: LegacySession,
): Promise<void> {
  const verdict = await deps.eraCache.get(call.upstream, call.timeoutMs);
  const capabilities = verdict.discover?.capabilities;
  const base: JsonObject = {};
  if (flag(capabilities, 'tools', 'listChanged')) base.toolsListChanged = true;
  if (flag(capabilities, 'prompts', 'listChanged')) base.promptsListChanged = true;
  if (flag(capabilities, 'resources', 'listChanged')) base.resourcesListChanged = true;
  const canSubscribe = flag(capabilities, 'resources', 'subscribe');

  call.reply.hijack();
  const sse: SseWriter = openSseStream(call.reply.raw, 200, { 'mcp-session-id': sessionId });
  call.record.httpStatus = 200;
  let current: AbortController | undefined;
  const open = async (): Promise<void> => {
    const uris = canSubscribe ? deps.bridge.legacySessions.subscriptions(session.tag) : [];
    const filter: JsonObject = uris.length > 0 ? { ...base, resourceSubscriptions: uris } : base;
    const previous = current;
    const controller = new AbortController();
    current = controller;
    if (Object.keys(filter).length === 0) return previous?.abort();
    try {
      await listenUpstream(
        call,
        session,
        filter,
        controller.signal,
        () => previous?.abort(),
        (notification) => sse.send(notification),
      );
    } catch {
      /* the upstream stream broke off */
    }
    previous?.abort();
    if (current === controller) sse.end();
  };
  const unwatch = deps.bridge.legacySessions.watchSubscriptions(session.tag, session.exp, () => {
    if (!sse.closed) void open();
  });
  const untrack = deps.bridge.trackStream(() => sse.end());
  void open();
  await sse.done;
  untrack();
  unwatch();
  current?.abort();
  call.record.bytesOut = sse.bytesWritten();
}
