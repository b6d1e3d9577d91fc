/**
 * `subscriptions/listen` (2026-07-28 basic/patterns/subscriptions) for a
 * legacy-only upstream. Each listen stream gets an upstream session of its
 * own, so its `resources/subscribe` calls and its standalone GET stream
 * belong to it alone and end with it:
 *
 *   1. open the session with the client's declared capabilities;
 *   2. honour the requested types the upstream declared (`listChanged`,
 *      `resources.subscribe`), subscribing each requested URI upstream;
 *   3. open the upstream GET stream, then acknowledge: the acknowledgement
 *      is the first message, and nothing can be missed after it;
 *   4. relay the opted-in notifications, each tagged with the subscription
 *      id (the listen request's id);
 *   5. when the upstream stream ends, end gracefully with a complete result;
 *      when the client closes the stream, end the upstream session.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import { META } from '../../session/protocol-version.ts';
import type { StreamedMessage, UpstreamCall } from '../../upstream/upstream.ts';
import { isObject, isRequest, isResponse } from '../json-rpc.ts';
import type { JsonObject, JsonRpcMessage, JsonRpcRequest } from '../json-rpc.ts';
import { openUpstreamSession } from '../legacy/initialize.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { openSseStream } from '../sse-writer.ts';
import { answerOf } from './answer-of.ts';
import { bridgedInitializeParams } from './bridged-session.ts';
import type { ModernEnvelope } from './modern-envelope.ts';

const LIST_CHANGED: Array<[filter: string, capability: string, method: string]> = [
  ['toolsListChanged', 'tools', 'notifications/tools/list_changed'],
  ['promptsListChanged', 'prompts', 'notifications/prompts/list_changed'],
  ['resourcesListChanged', 'resources', 'notifications/resources/list_changed'],
];

function capability(capabilities: unknown, name: string, flag: string): boolean {
  if (!isObject(capabilities)) return false;
  const entry = capabilities[name];
  return isObject(entry) && entry[flag] === true;
}

async function subscribeUpstream(
  call: McpCall,
  upstreamCall: UpstreamCall,
  uri: string,
): Promise<boolean> {
  const id = `pc-listen.${crypto.randomBytes(6).toString('base64url')}`;
  const outcome = await call.upstream.post(
    { jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri } },
    upstreamCall,
  );
  const answer = await answerOf(outcome, id);
  return answer !== undefined && answer.error === undefined;
}

function wanted(message: JsonRpcMessage, honoured: JsonObject, uris: Set<string>): boolean {
  if (!('method' in message)) return false;
  if (message.method === 'notifications/resources/updated')
    return isObject(message.params) && uris.has(String(message.params.uri));
  return LIST_CHANGED.some(
    ([filter, , method]) => message.method === method && honoured[filter] === true,
  );
}

export async function bridgeListen(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
  envelope: ModernEnvelope,
): Promise<void> {
  const requested = message.params?.notifications;
  if (!isObject(requested))
    throw new GatewayError('invalid_params', 'subscriptions/listen needs params.notifications.');
  const session = await openUpstreamSession(
    call.upstream,
    bridgedInitializeParams(envelope),
    call.timeoutMs,
  );
  const controller = new AbortController();
  const upstreamCall: UpstreamCall = {
    sessionId: session.sessionId,
    protocolVersion: session.protocolVersion,
    timeoutMs: call.timeoutMs,
  };
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    controller.abort();
    if (session.sessionId !== null) void call.upstream.terminate(upstreamCall);
  };
  let stream: AsyncIterable<StreamedMessage> | null = null;
  const honoured: JsonObject = {};
  const uris = new Set<string>();
  try {
    const capabilities = session.result.capabilities;
    for (const [filter, name] of LIST_CHANGED)
      if (requested[filter] === true && capability(capabilities, name, 'listChanged'))
        honoured[filter] = true;
    if (
      Array.isArray(requested.resourceSubscriptions) &&
      capability(capabilities, 'resources', 'subscribe')
    ) {
      for (const uri of requested.resourceSubscriptions)
        if (typeof uri === 'string' && (await subscribeUpstream(call, upstreamCall, uri)))
          uris.add(uri);
      if (uris.size > 0) honoured.resourceSubscriptions = [...uris];
    }
    if (Object.keys(honoured).length > 0)
      stream = await call.upstream.listen({ ...upstreamCall, signal: controller.signal });
  } catch (error) {
    release();
    throw error;
  }

  const tag = (notification: JsonRpcMessage & { params?: JsonObject }): JsonRpcMessage => ({
    ...notification,
    params: {
      ...notification.params,
      _meta: {
        ...(isObject(notification.params?._meta) ? notification.params._meta : {}),
        [META.subscriptionId]: message.id,
      },
    },
  });
  call.reply.hijack();
  const sse = openSseStream(call.reply.raw, 200, {});
  const untrack = deps.bridge.trackStream(() => sse.end());
  void sse.done.then(() => {
    untrack();
    release();
  });
  sse.send(
    tag({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: stream === null ? {} : honoured },
    }),
  );
  call.record.httpStatus = 200;
  try {
    for await (const { message: upstreamMessage } of stream ?? []) {
      if (sse.closed) break;
      if (upstreamMessage === null || isResponse(upstreamMessage)) continue;
      if (isRequest(upstreamMessage)) {
        // Nobody could answer a request on a listen stream; a ping is answered here.
        const answer: JsonRpcMessage =
          upstreamMessage.method === 'ping'
            ? { jsonrpc: '2.0', id: upstreamMessage.id, result: {} }
            : {
                jsonrpc: '2.0',
                id: upstreamMessage.id,
                error: { code: -32601, message: 'No client can answer this request.' },
              };
        void call.upstream.post(answer, upstreamCall).catch(() => undefined);
        continue;
      }
      if (wanted(upstreamMessage, honoured, uris)) sse.send(tag(upstreamMessage));
    }
  } catch {
    /* the upstream stream broke off: the subscription ends below */
  }
  if (!sse.closed)
    sse.send({
      jsonrpc: '2.0',
      id: message.id,
      result: { resultType: 'complete', _meta: { [META.subscriptionId]: message.id } },
    });
  call.record.bytesOut = sse.bytesWritten();
  sse.end();
  release();
}
