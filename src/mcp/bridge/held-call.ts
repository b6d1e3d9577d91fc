/**
 * One request of a 2026-07-28 client running on a legacy upstream session,
 * held open across MRTR rounds (basic/patterns/mrtr; era bridging, legacy
 * upstream → modern client).
 *
 * The upstream's answer stream is read in the background for the life of
 * the call. What it pushes decides each round:
 *   - server→client requests (elicitation, sampling, roots) are gathered
 *     and handed to the client as `inputRequests`; the client's retry
 *     answers them upstream with the upstream's own ids, and the call
 *     continues where it was;
 *   - `ping` is answered here; anything else the client could not answer
 *     gets an error upstream;
 *   - notifications go to the round that is waiting, if any;
 *   - the response ends the call.
 */
import crypto from 'node:crypto';
import { GatewayError, toGatewayError } from '../../shared/errors.ts';
import type { StreamedMessage, Upstream } from '../../upstream/upstream.ts';
import { isObject, isRequest, isResponse } from '../json-rpc.ts';
import type { JsonObject, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';

/** The requests 2026-07-28 carries inside `inputRequests`. */
const INPUT_METHODS: Record<string, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** The only methods that may answer `input_required` (mrtr "Supported Requests"). */
export const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
 * Requests a server sends together (a 2025 server asking for several inputs
 * at once) arrive within moments of each other; they are gathered into one
 * round rather than split across several. 20 ms split them on a loaded
 * 2-CPU machine (a stdio child's three requests read across a scheduling
 * gap); a round waits for a person anyway, so 50 ms costs nothing visible.
 */
const GATHER_MS = 50;

export type RoundOutcome =
  | { kind: 'final'; answer: JsonRpcResponse }
  | { kind: 'input'; inputRequests: JsonObject }
  /** The client went away while the round was waiting. */
  | { kind: 'gone' };

export interface HeldCall {
  readonly id: string;
  /** The upstream's serverInfo, named in the `_meta` of every round's result. */
  readonly serverInfo: unknown;
  /** Rounds answered so far; a retry must name the current one. */
  round: number;
  /** Waits for what the client must see next; `notify` receives the call's notifications meanwhile. */
  next(
    notify: ((message: JsonRpcMessage) => void) | null,
    signal: AbortSignal,
  ): Promise<RoundOutcome>;
  /** Answers the upstream's pending requests from a retry's `inputResponses`; unanswered ones are asked again. */
  answer(inputResponses: unknown): Promise<void>;
  /** Ends the call upstream (`notifications/cancelled` with the upstream's request id). */
  cancel(reason: string): void;
}

export interface HeldCallOptions {
  /** The call's name, from HeldCalls.newId (it names the holding instance); random when absent. */
  id?: string;
  upstream: Upstream;
  sessionId: string | null;
  protocolVersion: string;
  /** The request as the upstream knows it. */
  upstreamRequestId: string;
  method: string;
  serverInfo: unknown;
  timeoutMs: number;
  /** Aborts the upstream exchange; owned by the held call. */
  controller: AbortController;
}

export function startHeldCall(
  options: HeldCallOptions,
  answer: JsonRpcResponse | AsyncIterable<StreamedMessage>,
): HeldCall {
  const { upstream, upstreamRequestId } = options;
  const queue: JsonRpcRequest[] = [];
  const asked = new Map<string, JsonRpcRequest>();
  let final: JsonRpcResponse | undefined;
  let failure: GatewayError | undefined;
  let closed = false;
  let lastPush = 0;
  let keys = 0;
  let notify: ((message: JsonRpcMessage) => void) | null = null;
  let wake: (() => void) | undefined;
  const changed = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  const upstreamCall = {
    sessionId: options.sessionId,
    protocolVersion: options.protocolVersion,
    timeoutMs: options.timeoutMs,
  };
  const send = async (message: JsonRpcMessage): Promise<void> => {
    const outcome = await upstream.post(message, upstreamCall);
    if (outcome.kind === 'stream') for await (const _ of outcome.messages) break;
  };
  const sendQuietly = (message: JsonRpcMessage): void => {
    send(message).catch(() => undefined);
  };

  const onPush = (request: JsonRpcRequest): void => {
    if (request.method === 'ping') {
      sendQuietly({ jsonrpc: '2.0', id: request.id, result: {} });
    } else if (INPUT_METHODS[request.method] !== undefined && MRTR_METHODS.has(options.method)) {
      queue.push(request);
      lastPush = performance.now();
      changed();
    } else {
      sendQuietly({
        jsonrpc: '2.0',
        id: request.id,
        error: {
          code: -32601,
          message: `${request.method} cannot be relayed to a 2026-07-28 client during ${options.method}.`,
        },
      });
    }
  };

  const pump = async (messages: AsyncIterable<StreamedMessage>): Promise<void> => {
    try {
      for await (const { message } of messages) {
        if (closed) break;
        if (message === null) continue;
        if (isResponse(message)) {
          if (message.id !== upstreamRequestId) continue;
          final = message;
          break;
        }
        if (isRequest(message)) onPush(message);
        else notify?.(message);
      }
      if (final === undefined && !closed)
        failure = new GatewayError(
          'upstream_unavailable',
          `The upstream ${upstream.serverKey} ended the stream without answering.`,
        );
    } catch (error) {
      if (!closed) failure = toGatewayError(error);
    }
    changed();
  };
  if (Symbol.asyncIterator in answer) void pump(answer);
  else final = answer;

  const waitForChange = (signal: AbortSignal, ms?: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => done(false);
      const done = (value: boolean): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      wake = () => done(true);
      signal.addEventListener('abort', onAbort, { once: true });
      if (ms !== undefined) timer = setTimeout(() => done(true), ms);
    });

  const inputRequests = (): JsonObject => {
    for (const request of queue.splice(0))
      asked.set(`${INPUT_METHODS[request.method]}-${++keys}`, request);
    const out: JsonObject = {};
    for (const [key, request] of asked)
      out[key] = {
        method: request.method,
        ...(request.params === undefined ? {} : { params: request.params }),
      };
    return out;
  };

  return {
    id: options.id ?? crypto.randomBytes(12).toString('base64url'),
    serverInfo: options.serverInfo,
    round: 0,
    async next(receiver, signal) {
      notify = receiver;
      try {
        for (;;) {
          if (queue.length > 0) {
            while (performance.now() - lastPush < GATHER_MS)
              if (!(await waitForChange(signal, GATHER_MS))) return { kind: 'gone' };
            return { kind: 'input', inputRequests: inputRequests() };
          }
          if (asked.size > 0) return { kind: 'input', inputRequests: inputRequests() };
          if (final !== undefined) return { kind: 'final', answer: final };
          if (failure !== undefined) throw failure;
          if (!(await waitForChange(signal))) return { kind: 'gone' };
        }
      } finally {
        notify = null;
      }
    },
    async answer(inputResponses) {
      const responses = isObject(inputResponses) ? inputResponses : {};
      for (const [key, request] of [...asked]) {
        const value = responses[key];
        if (!isObject(value)) continue;
        asked.delete(key);
        await send({ jsonrpc: '2.0', id: request.id, result: value });
      }
    },
    cancel(reason) {
      if (closed) return;
      closed = true;
      if (final === undefined)
        sendQuietly({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: upstreamRequestId, reason },
        });
      options.controller.abort();
      changed();
    },
  };
}
