/**
 * Requests the gateway itself sends to a legacy client in the middle of a
 * call (an interceptor's `context.ask`, e.g. elicitation to confirm a
 * destructive tool), and their answers.
 *
 * The ask goes down the call's own stream like an upstream's server→client
 * request: the relay gives it a client id and a timeout, the client answers
 * in a separate POST, and that answer comes back up through `Upstream.post`
 * of another decorated upstream, where `settle` recognises it by its id. So
 * the table of pending asks is shared by every decorator of this instance:
 * like the relay's own pending requests, an answer must reach the instance
 * that asked (a shared store comes with the multi-instance work).
 */
import { randomUUID } from 'node:crypto';
import { errorResponse } from '../json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { StreamedMessage, UpstreamOutcome } from '../../upstream/upstream.ts';
import type { InterceptContext } from './interceptor.ts';

const ASK_ID_PREFIX = 'portcullis-ask-';
const MAX_PENDING = 10_000;

export type Ask = (
  request: { method: string; params?: JsonObject },
  timeoutMs: number,
) => Promise<JsonRpcResponse>;

interface PendingAsk {
  resolve(response: JsonRpcResponse): void;
  timer: NodeJS.Timeout;
}

const pending = new Map<string, PendingAsk>();

export function isAskId(id: unknown): id is string {
  return typeof id === 'string' && id.startsWith(ASK_ID_PREFIX);
}

/** Hands the client's answer (or the relay's timeout error) to the ask waiting for it; false when none is. */
export function settleAsk(response: JsonRpcResponse): boolean {
  if (!isAskId(response.id)) return false;
  const ask = pending.get(response.id);
  if (ask === undefined) return false;
  clearTimeout(ask.timer);
  pending.delete(response.id);
  ask.resolve(response);
  return true;
}

export function pendingAsks(): number {
  return pending.size;
}

/** An ask session for one request: the context interceptors see, and the asks it sent, in order. */
export interface Asking {
  readonly context: InterceptContext;
  /** Resolves when the first ask is sent (never, if no interceptor asks). */
  readonly firstAsk: Promise<void>;
  /** The asks sent so far and those to come; ends when `close` is called. */
  readonly requests: AsyncIterable<JsonRpcRequest>;
  close(): void;
}

export function openAsking(context: InterceptContext): Asking {
  const queue: JsonRpcRequest[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let announce: () => void = () => undefined;
  const firstAsk = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const ask: Ask = (request, timeoutMs) => {
    const id = `${ASK_ID_PREFIX}${randomUUID()}`;
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      if (pending.size >= MAX_PENDING) {
        resolve(errorResponse(id, { code: -32603, message: 'Too many pending asks.' }));
        return;
      }
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(errorResponse(id, { code: -32001, message: 'The client did not answer in time.' }));
      }, timeoutMs);
      timer.unref();
      pending.set(id, { resolve, timer });
    });
    queue.push({
      jsonrpc: '2.0',
      id,
      method: request.method,
      ...(request.params && { params: request.params }),
    });
    announce();
    wake?.();
    return answer;
  };
  // Inherit the lazy getters (era, clientCapabilities) without evaluating them.
  const asking = Object.create(context, {
    ask: { value: ask, enumerable: true },
  }) as InterceptContext;
  return {
    context: asking,
    firstAsk,
    requests: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (closed) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
    },
    close() {
      closed = true;
      wake?.();
    },
  };
}

/**
 * The outcome of a call whose interceptors asked the client: a stream that
 * carries the asks first, then whatever the call ends with once the chain
 * finishes (`finish` forwards it, or returns the gateway's answer).
 */
export function askedOutcome(
  asking: Asking,
  passing: Promise<unknown>,
  finish: () => Promise<UpstreamOutcome>,
  request: JsonRpcRequest,
  sessionId: string | undefined,
): UpstreamOutcome {
  const done = (): void => asking.close();
  passing.then(done, done);
  async function* messages(): AsyncGenerator<StreamedMessage> {
    for await (const ask of asking.requests)
      yield { message: ask, eventId: undefined, retry: undefined };
    const outcome = await finish();
    if (outcome.kind === 'json')
      yield { message: outcome.message, eventId: undefined, retry: undefined };
    else if (outcome.kind === 'stream') yield* outcome.messages;
    else
      yield {
        message: errorResponse(request.id, {
          code: -32001,
          message: 'The upstream did not answer the call after the confirmation.',
        }),
        eventId: undefined,
        retry: undefined,
      };
  }
  return { kind: 'stream', status: 200, sessionId, messages: messages() };
}
