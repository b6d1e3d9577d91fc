/**
 * The interceptor chain as an `Upstream` decorator: every path of the mcp
 * layer reaches the upstream through this port, so one decorator sees every
 * client request (`post`, `forward`) and every server message (`post`
 * streams, `forward` streams, `listen`).
 *
 * Order: `onRequest` runs first to last and stops at the first `answer`;
 * `onResponse` runs last to first over the interceptors whose `onRequest`
 * saw the request (an answer from interceptor k is shown to 0..k-1, so
 * capture and limits see refusals too); each receives the request as it saw
 * it (before its own rewrite). `onServerMessage` runs first to last.
 */
import { Readable } from 'node:stream';
import { readBody } from '../../upstream/http-client.ts';
import type { ReplyBody } from '../../upstream/http-client.ts';
import { parseSse } from '../../upstream/sse-parser.ts';
import type { SseEvent } from '../../upstream/sse-parser.ts';
import { META } from '../../session/protocol-version.ts';
import { watchers, withNotices } from './injected-notices.ts';
import type {
  RawReply,
  StreamedMessage,
  Upstream,
  UpstreamCall,
  UpstreamOutcome,
} from '../../upstream/upstream.ts';
import { isObject, isRequest, isResponse } from '../json-rpc.ts';
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import { askedOutcome, openAsking, settleAsk } from './client-asks.ts';
import { idKey, passRequest, passResponse, passServerMessage } from './interceptor-chain.ts';
import type { Passage } from './interceptor-chain.ts';
import {
  bodyOf,
  headersFor,
  jsonReply,
  listenNotice,
  parseMessage,
  sseEvent,
} from './rewritten-replies.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** The list a result is the answer to, by the field that carries its items. */
const LIST_FIELDS = [
  ['tools', 'tools/list'],
  ['resources', 'resources/list'],
  ['resourceTemplates', 'resources/templates/list'],
  ['prompts', 'prompts/list'],
] as const;

/**
 * The request an answer of unknown origin stands for: an answer replayed on a
 * resumed stream (GET + Last-Event-ID after SEP-1699 polling) belongs to a
 * request another call passed. A list answer is judged as a list (so the
 * policy filters it: a replay must not show what the policy hides); other
 * answers pass as they are, their request having been judged already.
 */
function inferredPassage(
  response: JsonRpcResponse,
  interceptors: readonly Interceptor[],
): Passage | undefined {
  const { result, id } = response;
  if (result === undefined || id === null) return undefined;
  const list = LIST_FIELDS.find(([field]) => Array.isArray(result[field]));
  if (list === undefined) return undefined;
  const request: JsonRpcRequest = { jsonrpc: '2.0', id, method: list[1] };
  return {
    seen: interceptors.map(() => request),
    outcome: { kind: 'forward', message: request },
    timeoutMs: undefined,
  };
}

/**
 * Calls whose interceptors may ask the client something first: MRTR's
 * methods going upstream in the 2025 shape, so the ask travels as a
 * server→client request (to a 2025 client, or through the era bridge's held
 * call to a 2026-07-28 client). A request in the 2026-07-28 shape gets MRTR
 * from the interceptor instead.
 */
function mayAsk(message: JsonRpcMessage): message is JsonRpcRequest {
  if (
    !isRequest(message) ||
    (message.method !== 'tools/call' &&
      message.method !== 'prompts/get' &&
      message.method !== 'resources/read')
  )
    return false;
  const meta = message.params?._meta;
  return !(isObject(meta) && META.protocolVersion in meta);
}

export function interceptUpstream(
  upstream: Upstream,
  interceptors: readonly Interceptor[],
  context: InterceptContext,
): Upstream {
  const watching = watchers(interceptors);
  const asking = interceptors.some((interceptor) => interceptor.asks === true);
  const hasResponseHooks = interceptors.some(
    (i) => i.onResponse !== undefined || i.onServerMessage !== undefined,
  );
  // Only watchers (a server without a policy): requests and answers pass untouched.
  const passive = !hasResponseHooks && interceptors.every((i) => i.onRequest === undefined);

  /**
   * One message from the upstream: the answer to a pending request, or a
   * server message. Synchronous when the chain is (interceptor-chain.ts).
   */
  const down = (
    message: JsonRpcMessage,
    pending: Map<string, Passage>,
  ): JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined> => {
    if (isResponse(message)) {
      const key = idKey(message.id);
      const passage = pending.get(key) ?? inferredPassage(message, interceptors);
      if (passage === undefined) return message;
      pending.delete(key);
      return passResponse(interceptors, passage, message, context);
    }
    return passServerMessage(interceptors, message, context);
  };

  /** `down` over the items of a JSON answer, in order, each after the one before. */
  const downAll = (
    items: readonly JsonRpcMessage[],
    pending: Map<string, Passage>,
    start: number,
    mapped: JsonRpcMessage[],
  ): JsonRpcMessage[] | Promise<JsonRpcMessage[]> => {
    for (let k = start; k < items.length; k++) {
      const out = down(items[k]!, pending);
      if (out instanceof Promise)
        return out.then((settled) => {
          if (settled !== undefined) mapped.push(settled);
          return downAll(items, pending, k + 1, mapped);
        });
      if (out !== undefined) mapped.push(out);
    }
    return mapped;
  };

  async function* downStream(
    messages: AsyncIterable<StreamedMessage>,
    pending: Map<string, Passage>,
    first: readonly JsonRpcResponse[],
  ): AsyncGenerator<StreamedMessage> {
    for (const message of first) yield { message, eventId: undefined, retry: undefined };
    for await (const item of messages) {
      if (item.message === null) {
        yield item;
        continue;
      }
      const message = await down(item.message, pending);
      if (message !== undefined) yield { ...item, message };
      // A dropped message keeps its event id, so Last-Event-ID resumption still lines up.
      else if (item.eventId !== undefined) yield { ...item, message: null };
    }
  }

  const wrapOutcome = (
    outcome: UpstreamOutcome,
    pending: Map<string, Passage>,
    answers: JsonRpcResponse[],
    batch: boolean,
  ): UpstreamOutcome | Promise<UpstreamOutcome> => {
    if (outcome.kind === 'json') {
      const raw = outcome.message as JsonRpcMessage | JsonRpcMessage[];
      const items = Array.isArray(raw) ? raw : [raw];
      const answered = (mapped: JsonRpcMessage[]): UpstreamOutcome => {
        mapped.push(...answers);
        const message = (batch ? mapped : (mapped[0] ?? raw)) as JsonRpcMessage;
        return { ...outcome, message };
      };
      const mapped = downAll(items, pending, 0, []);
      return mapped instanceof Promise ? mapped.then(answered) : answered(mapped);
    }
    if (outcome.kind === 'stream') {
      const messages = downStream(outcome.messages, pending, answers);
      return { ...outcome, messages };
    }
    if (outcome.kind === 'accepted' && answers.length > 0)
      return {
        kind: 'json',
        status: 200,
        sessionId: outcome.sessionId,
        message: answers as unknown as JsonRpcMessage,
        bytes: 0,
      };
    return outcome;
  };

  const post = async (
    message: JsonRpcMessage | JsonRpcMessage[],
    call: UpstreamCall,
    passed?: Passage,
  ): Promise<UpstreamOutcome> => {
    // A legacy client's answer to the gateway's own ask (client-asks.ts) ends here.
    if (!Array.isArray(message) && isResponse(message) && settleAsk(message))
      return { kind: 'accepted', status: 202, sessionId: call.sessionId ?? undefined };
    if (passive) return upstream.post(message, call);
    if (passed === undefined && asking && !Array.isArray(message) && mayAsk(message)) {
      const asking = openAsking(context);
      // A promise whatever the chain does (a throw included): the race and the held call wait on it.
      const passing = (async () => passRequest(interceptors, message, asking.context))();
      const first = await Promise.race([passing, asking.firstAsk.then(() => undefined)]);
      if (first !== undefined) return post(message, call, first);
      const finish = async () => post(message, call, await passing);
      return askedOutcome(asking, passing, finish, message, call.sessionId ?? undefined);
    }
    const batch = Array.isArray(message);
    const pending = new Map<string, Passage>();
    const answers: JsonRpcResponse[] = [];
    const outgoing: JsonRpcMessage[] = [];
    let upstreamCall = call;
    for (const item of batch ? message : [message]) {
      if (!isRequest(item)) {
        outgoing.push(item);
        continue;
      }
      let passage = passed ?? passRequest(interceptors, item, context);
      if (passage instanceof Promise) passage = await passage;
      if (passage.outcome.kind === 'answer') {
        const answer = passResponse(interceptors, passage, passage.outcome.message, context);
        answers.push(answer instanceof Promise ? await answer : answer);
        continue;
      }
      pending.set(idKey(passage.outcome.message.id), passage);
      if (!batch && passage.outcome.message !== item)
        upstreamCall = headersFor(call, item, passage.outcome.message);
      if (passage.timeoutMs !== undefined)
        upstreamCall = {
          ...upstreamCall,
          timeoutMs: Math.min(upstreamCall.timeoutMs, passage.timeoutMs),
        };
      outgoing.push(passage.outcome.message);
    }
    if (outgoing.length === 0) {
      return {
        kind: 'json',
        status: 200,
        sessionId: call.sessionId ?? undefined,
        message: (batch ? answers : answers[0]) as JsonRpcMessage,
        bytes: 0,
      };
    }
    const outcome = await upstream.post(batch ? outgoing : outgoing[0]!, upstreamCall);
    return wrapOutcome(outcome, pending, answers, batch);
  };

  async function* sseThrough(
    source: AsyncIterable<Buffer>,
    pending: Map<string, Passage>,
    listen: JsonRpcRequest | undefined,
  ): AsyncGenerator<Buffer> {
    let events: AsyncIterable<SseEvent & { injected?: true }> = parseSse(source);
    if (listen !== undefined)
      events = withNotices(events, watching, context, (notification) => {
        const message = listenNotice(listen, notification);
        return message === undefined
          ? undefined
          : {
              id: undefined,
              event: 'message',
              data: JSON.stringify(message),
              retry: undefined,
              injected: true,
            };
      });
    for await (const event of events) {
      if (event.injected === true) {
        yield Buffer.from(sseEvent(event));
        continue;
      }
      const message =
        event.event === 'message' && event.data !== '' ? parseMessage(event.data) : undefined;
      if (message === undefined) {
        yield Buffer.from(sseEvent(event));
        continue;
      }
      const out = await down(message, pending);
      if (out !== undefined) yield Buffer.from(sseEvent({ ...event, data: JSON.stringify(out) }));
      else if (event.id !== undefined) yield Buffer.from(sseEvent({ ...event, data: '' }));
    }
  }

  const forward = async (body: Buffer | string, call: UpstreamCall): Promise<RawReply> => {
    // Watchers need only the long-lived subscriptions/listen streams; nothing else is parsed.
    if (
      passive &&
      (watching.length === 0 || call.headers?.['mcp-method'] !== 'subscriptions/listen')
    )
      return upstream.forward(body, call);
    const parsed = parseMessage(typeof body === 'string' ? body : body.toString('utf8'));
    // Anything this layer cannot read (no modern batches exist) goes as it is; the upstream answers it.
    if (parsed === undefined) return upstream.forward(body, call);
    const pending = new Map<string, Passage>();
    let outgoing: Buffer | string = body;
    let upstreamCall = call;
    let wantsAnswer = hasResponseHooks;
    if (isRequest(parsed)) {
      let passage = passRequest(interceptors, parsed, context);
      if (passage instanceof Promise) passage = await passage;
      if (passage.outcome.kind === 'answer') {
        const answer = await passResponse(interceptors, passage, passage.outcome.message, context);
        return jsonReply(200, answer, {});
      }
      // What the chain judged, not the client's bytes: a body the upstream's
      // parser reads otherwise (a key given twice) must not slip past a policy.
      outgoing = JSON.stringify(passage.outcome.message);
      if (passage.outcome.message !== parsed)
        upstreamCall = headersFor(call, parsed, passage.outcome.message);
      if (passage.timeoutMs !== undefined)
        upstreamCall = { ...upstreamCall, timeoutMs: Math.min(call.timeoutMs, passage.timeoutMs) };
      pending.set(idKey(passage.outcome.message.id), passage);
      wantsAnswer = passage.seen.some((request, k) => {
        const interceptor = interceptors[k]!;
        return interceptor.onResponse !== undefined && interceptor.responseFor?.(request) !== false;
      });
    }
    const reply = await upstream.forward(outgoing, upstreamCall);
    const listen =
      watching.length > 0 && isRequest(parsed) && parsed.method === 'subscriptions/listen'
        ? parsed
        : undefined;
    if ((!hasResponseHooks && listen === undefined) || reply.status >= 300) return reply;
    if (reply.contentType === 'application/json') {
      // A JSON body is the answer alone: no server message rides along with it.
      if (!wantsAnswer) return reply;
      const text = await readBody(reply.body, MAX_JSON_BYTES);
      const message = text.length > 0 ? parseMessage(text) : undefined;
      if (message === undefined) return { ...reply, body: bodyOf(text) };
      const out = await down(message, pending);
      return out === undefined
        ? { ...reply, body: bodyOf('') }
        : jsonReply(reply.status, out, reply.headers);
    }
    if (reply.contentType === 'text/event-stream') {
      const stream = Readable.from(
        sseThrough(reply.body as AsyncIterable<Buffer>, pending, listen),
      );
      return { ...reply, body: stream as unknown as ReplyBody };
    }
    return reply;
  };

  return {
    serverKey: upstream.serverKey,
    ...(upstream.fixedEra === undefined ? {} : { fixedEra: upstream.fixedEra }),
    post,
    async listen(call) {
      const stream = await upstream.listen(call);
      if (stream === null || (!hasResponseHooks && watching.length === 0)) return stream;
      const down = hasResponseHooks ? downStream(stream, new Map(), []) : stream;
      if (watching.length === 0) return down;
      return withNotices(down, watching, context, (message) => ({
        message,
        eventId: undefined,
        retry: undefined,
      }));
    },
    terminate: (call) => upstream.terminate(call),
    forward,
    close: () => upstream.close(),
  };
}
