/**
 * Routes the messages of one legacy HTTP+SSE event stream (every server
 * message of a 2024-11-05 session arrives on the one GET) to whoever waits
 * for them, in this order:
 *
 *   1. A response goes to the exchange whose request had its id. An unknown
 *      id (a late answer after a timeout or a cancel) is dropped.
 *   2. `notifications/progress` goes to the exchange whose request carried
 *      its progressToken; with an unknown token it skips rule 3.
 *   3. Any other notification or server→client request goes to the exchange
 *      in flight when it is the only one on this connection: servers send
 *      sampling, elicitation, roots and log messages on behalf of the call
 *      in progress, and with one call in flight that is the likely owner.
 *   4. Otherwise it goes to the listeners (the downstream standalone
 *      streams): a notification to each, a request to the newest only.
 *      A channel shared by many members (stdio) sets `screenServerRequest`:
 *      its server→client requests skip this rule, and rule 3 applies only
 *      when the screen admits the request for that exchange's call.
 *   5. Otherwise it is dropped with a debug log. A dropped request is
 *      answered upstream with an error so the server does not wait for it.
 *
 * An exchange that is abandoned (timeout, caller gone, reader stopped) has
 * its unanswered requests cancelled upstream.
 */
import { isNotification, isRequest, isResponse, metaOf } from '../mcp/json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../mcp/json-rpc.ts';
import { GatewayError, JsonRpcCode } from '../shared/errors.ts';
import { createMessageQueue } from './message-queue.ts';
import type { MessageQueue } from './message-queue.ts';
import type { StreamedMessage, UpstreamCall } from './upstream.ts';

export interface UpstreamLog {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The messages one POSTed request (or batch of requests) waits for. */
export interface Exchange {
  readonly messages: AsyncIterable<StreamedMessage>;
  /** Stops waiting: the stream fails with `reason`, unanswered requests are cancelled upstream. */
  abandon(reason: GatewayError): void;
}

export interface MessageRouter {
  /** Registers requests before they are POSTed, since answers may beat the 202. */
  expect(requests: JsonRpcRequest[], call: UpstreamCall): Exchange;
  route(message: JsonRpcMessage): void;
  /** The client cancelled a request: no answer will come for it (cancellation spec). */
  forget(requestId: unknown): void;
  /** The messages no request claims, until `signal` aborts or `failAll`. */
  listen(signal?: AbortSignal): AsyncIterable<StreamedMessage>;
  /** Fails every exchange and listener: the stream is gone. */
  failAll(reason: GatewayError): void;
  /** True while an exchange or a listener holds the session. */
  busy(): boolean;
}

export interface RouterDeps {
  readonly serverKey: string;
  readonly log: UpstreamLog;
  /** POSTs a message upstream, best effort (cancellations, refusals). */
  readonly sendQuietly: (message: JsonRpcMessage, timeoutMs: number) => void;
  /** Marks the session as used, for the idle timer. */
  readonly touch: () => void;
  /**
   * For a channel shared by many members: why `request` may not go to the
   * client of `call` (undefined when it may). Set, a server→client request
   * is never handed to a listener, only to the one exchange in flight.
   */
  readonly screenServerRequest?: (
    request: JsonRpcRequest,
    call: UpstreamCall,
  ) => string | undefined;
}

interface ExchangeState {
  /** Unanswered requests by id key. */
  readonly pending: Map<string, JsonRpcRequest>;
  readonly tokens: string[];
  readonly queue: MessageQueue<StreamedMessage>;
  readonly timer: NodeJS.Timeout;
  readonly call: UpstreamCall;
  readonly onAbort: () => void;
}

const QUEUE_LIMIT = 4096;
const REFUSAL_TIMEOUT_MS = 30_000;

const keyOf = (id: JsonRpcId): string => `${typeof id}:${id}`;

function keyOfUnknown(id: unknown): string | undefined {
  return typeof id === 'string' || typeof id === 'number' ? keyOf(id) : undefined;
}

function item(message: JsonRpcMessage): StreamedMessage {
  // 2024-11-05 streams have no resumption, so no event ids are passed on.
  return { message, eventId: undefined, retry: undefined };
}

export function createMessageRouter(deps: RouterDeps): MessageRouter {
  const { serverKey, log, sendQuietly, touch } = deps;
  const byId = new Map<string, ExchangeState>();
  const byToken = new Map<string, ExchangeState>();
  const exchanges = new Set<ExchangeState>();
  const listeners = new Set<MessageQueue<StreamedMessage>>();

  const settle = (state: ExchangeState, error?: unknown): void => {
    for (const key of state.pending.keys()) if (byId.get(key) === state) byId.delete(key);
    for (const token of state.tokens) if (byToken.get(token) === state) byToken.delete(token);
    if (!exchanges.delete(state)) return;
    clearTimeout(state.timer);
    state.call.signal?.removeEventListener('abort', state.onAbort);
    if (error === undefined) state.queue.end();
    else state.queue.fail(error);
    touch();
  };

  const abandon = (state: ExchangeState, reason: GatewayError): void => {
    if (!exchanges.has(state)) return;
    const unanswered = [...state.pending.values()];
    settle(state, reason);
    for (const request of unanswered) {
      // MCP basic/utilities/cancellation: initialize must never be cancelled.
      if (request.method === 'initialize') continue;
      sendQuietly(
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: request.id, reason: reason.message },
        },
        state.call.timeoutMs,
      );
    }
  };

  const deliver = (state: ExchangeState, message: JsonRpcMessage): void => {
    if (!state.queue.push(item(message))) {
      abandon(
        state,
        new GatewayError(
          'upstream_protocol_error',
          `The upstream ${serverKey} sent more than ${QUEUE_LIMIT} unread messages for one request.`,
        ),
      );
      return;
    }
    // Progress and the server's own requests to the client give the call more time (MCP
    // basic/lifecycle "Timeouts" allows resetting on progress); other notifications do not,
    // or an upstream that never stops logging would hold the call for ever.
    if (!isNotification(message) || message.method === 'notifications/progress')
      state.timer.refresh();
    touch();
  };

  const refuse = (
    request: JsonRpcRequest,
    reason = `No client is listening on this session to answer ${request.method}.`,
  ): void => {
    sendQuietly(
      {
        jsonrpc: '2.0',
        id: request.id,
        error: { code: JsonRpcCode.UpstreamError, message: reason },
      },
      REFUSAL_TIMEOUT_MS,
    );
  };

  const route = (message: JsonRpcMessage): void => {
    if (isResponse(message)) {
      const key = message.id === null ? undefined : keyOf(message.id);
      const state = key === undefined ? undefined : byId.get(key);
      if (key === undefined || state === undefined) {
        log.debug({ server: serverKey, id: message.id }, 'dropped a response no request waits for');
        return;
      }
      state.pending.delete(key);
      byId.delete(key);
      deliver(state, message);
      if (state.pending.size === 0) settle(state);
      return;
    }
    const screen = deps.screenServerRequest;
    if (screen !== undefined && isRequest(message)) {
      const [only] = exchanges;
      const refusal =
        exchanges.size === 1
          ? screen(message, only!.call)
          : `${message.method} cannot be attributed to one client: ${exchanges.size} calls are in flight on this shared server.`;
      if (refusal === undefined) return deliver(only!, message);
      log.debug({ server: serverKey, method: message.method }, refusal);
      return refuse(message, refusal);
    }
    const isProgress = isNotification(message) && message.method === 'notifications/progress';
    if (isProgress) {
      const token = keyOfUnknown(message.params?.progressToken);
      const state = token === undefined ? undefined : byToken.get(token);
      if (state !== undefined) return deliver(state, message);
    } else if (exchanges.size === 1) {
      const [only] = exchanges;
      return deliver(only!, message);
    }
    if (listeners.size > 0) {
      if (isRequest(message)) {
        const newest = [...listeners].at(-1)!;
        if (!newest.push(item(message))) refuse(message);
      } else {
        for (const listener of listeners) listener.push(item(message));
      }
      touch();
      return;
    }
    log.debug(
      { server: serverKey, method: 'method' in message ? message.method : undefined },
      'dropped a server message no request or listener could take',
    );
    if (isRequest(message)) refuse(message);
  };

  return {
    expect(requests, call) {
      for (const request of requests)
        if (byId.has(keyOf(request.id)))
          throw new GatewayError(
            'invalid_message',
            `A request with id ${String(request.id)} is already in flight on this session.`,
          );
      const timeout = new GatewayError(
        'upstream_timeout',
        `The upstream ${serverKey} did not answer within ${call.timeoutMs} ms.`,
      );
      const cancelled = new GatewayError(
        'upstream_unavailable',
        'The upstream request was cancelled.',
      );
      const state: ExchangeState = {
        pending: new Map(requests.map((request) => [keyOf(request.id), request])),
        tokens: [],
        queue: createMessageQueue<StreamedMessage>({
          limit: QUEUE_LIMIT,
          onReturn: () => abandon(state, cancelled),
        }),
        timer: setTimeout(() => abandon(state, timeout), call.timeoutMs),
        call,
        onAbort: () => abandon(state, cancelled),
      };
      for (const [key, request] of state.pending) {
        byId.set(key, state);
        const token = keyOfUnknown(metaOf(request)?.progressToken);
        if (token !== undefined) {
          state.tokens.push(token);
          byToken.set(token, state);
        }
      }
      exchanges.add(state);
      call.signal?.addEventListener('abort', state.onAbort, { once: true });
      if (call.signal?.aborted) abandon(state, cancelled);
      touch();
      return { messages: state.queue, abandon: (reason) => abandon(state, reason) };
    },

    route,

    forget(requestId) {
      const key = keyOfUnknown(requestId);
      const state = key === undefined ? undefined : byId.get(key);
      if (key === undefined || state === undefined) return;
      state.pending.delete(key);
      byId.delete(key);
      if (state.pending.size === 0) settle(state);
    },

    listen(signal) {
      const queue = createMessageQueue<StreamedMessage>({
        limit: QUEUE_LIMIT,
        onReturn: () => stop(),
      });
      const stop = (): void => {
        listeners.delete(queue);
        signal?.removeEventListener('abort', end);
        touch();
      };
      const end = (): void => {
        stop();
        queue.end();
      };
      if (signal?.aborted) {
        queue.end();
        return queue;
      }
      listeners.add(queue);
      signal?.addEventListener('abort', end, { once: true });
      touch();
      return queue;
    },

    failAll(reason) {
      for (const state of [...exchanges]) settle(state, reason);
      for (const listener of listeners) listener.fail(reason);
      listeners.clear();
    },

    busy: () => exchanges.size > 0 || listeners.size > 0,
  };
}
