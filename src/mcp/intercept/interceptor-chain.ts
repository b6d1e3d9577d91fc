/**
 * The steps of the interceptor chain for one message: requests first to
 * last (the first answer stops them), answers last to first (each
 * interceptor given the request as it saw it), server messages first to last.
 */
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { InterceptContext, Interceptor, RequestVerdict } from './interceptor.ts';

/** One request on its way: what each interceptor saw, and how it ended. */
export interface Passage {
  /** `seen[i]` is the request as interceptor i received it. */
  readonly seen: JsonRpcRequest[];
  readonly outcome:
    { kind: 'forward'; message: JsonRpcRequest } | { kind: 'answer'; message: JsonRpcResponse };
  /** The smallest `timeoutMs` a forward verdict asked for. */
  readonly timeoutMs: number | undefined;
}

export function idKey(id: unknown): string {
  return `${typeof id}:${String(id)}`;
}

interface RequestPassing {
  readonly seen: JsonRpcRequest[];
  current: JsonRpcRequest;
  timeoutMs: number | undefined;
}

/** The passage ended by `verdict`, or undefined when the chain goes on. */
function afterVerdict(state: RequestPassing, verdict: RequestVerdict): Passage | undefined {
  if (verdict.kind === 'answer')
    // The answer must carry the id the caller will match, whatever the interceptor wrote.
    return {
      seen: state.seen,
      outcome: { kind: 'answer', message: { ...verdict.message, id: state.current.id } },
      timeoutMs: state.timeoutMs,
    };
  state.current = verdict.message;
  if (verdict.timeoutMs !== undefined)
    state.timeoutMs = Math.min(state.timeoutMs ?? verdict.timeoutMs, verdict.timeoutMs);
  return undefined;
}

function requestFrom(
  interceptors: readonly Interceptor[],
  state: RequestPassing,
  context: InterceptContext,
  start: number,
): Passage | Promise<Passage> {
  for (let i = start; i < interceptors.length; i++) {
    const interceptor = interceptors[i]!;
    state.seen.push(state.current);
    if (interceptor.onRequest === undefined) continue;
    const verdict = interceptor.onRequest(state.current, context);
    if (verdict instanceof Promise)
      return verdict.then(
        (settled) =>
          afterVerdict(state, settled) ?? requestFrom(interceptors, state, context, i + 1),
      );
    const ended = afterVerdict(state, verdict);
    if (ended !== undefined) return ended;
  }
  return {
    seen: state.seen,
    outcome: { kind: 'forward', message: state.current },
    timeoutMs: state.timeoutMs,
  };
}

/**
 * Synchronous while every interceptor answers synchronously (capture, cached
 * policy): a promise per hook per call is most of what a chain would cost.
 * Callers `await` only a returned promise.
 */
export function passRequest(
  interceptors: readonly Interceptor[],
  message: JsonRpcRequest,
  context: InterceptContext,
): Passage | Promise<Passage> {
  return requestFrom(
    interceptors,
    { seen: [], current: message, timeoutMs: undefined },
    context,
    0,
  );
}

function responseFrom(
  interceptors: readonly Interceptor[],
  passage: Passage,
  response: JsonRpcResponse,
  context: InterceptContext,
  start: number,
): JsonRpcResponse | Promise<JsonRpcResponse> {
  let current = response;
  for (let i = start; i >= 0; i--) {
    const interceptor = interceptors[i]!;
    // An interceptor that answered itself does not see its own answer.
    if (
      interceptor.onResponse === undefined ||
      (passage.outcome.kind === 'answer' && i === passage.seen.length - 1)
    )
      continue;
    const next = interceptor.onResponse(current, passage.seen[i]!, context);
    if (next instanceof Promise)
      return next.then((settled) => responseFrom(interceptors, passage, settled, context, i - 1));
    current = next;
  }
  return current;
}

/** Synchronous while every `onResponse` is (see passRequest). */
export function passResponse(
  interceptors: readonly Interceptor[],
  passage: Passage,
  response: JsonRpcResponse,
  context: InterceptContext,
): JsonRpcResponse | Promise<JsonRpcResponse> {
  return responseFrom(interceptors, passage, response, context, passage.seen.length - 1);
}

export function passServerMessage(
  interceptors: readonly Interceptor[],
  message: JsonRpcMessage,
  context: InterceptContext,
): JsonRpcMessage | undefined {
  let current: JsonRpcMessage | undefined = message;
  for (const interceptor of interceptors) {
    if (current === undefined) return undefined;
    if (interceptor.onServerMessage !== undefined)
      current = interceptor.onServerMessage(current, context);
  }
  return current;
}
