/**
 * The steps of the interceptor chain for one message: requests first to
 * last (the first answer stops them), answers last to first (each
 * interceptor given the request as it saw it), server messages first to last.
 */
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';

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

export async function passRequest(
  interceptors: readonly Interceptor[],
  message: JsonRpcRequest,
  context: InterceptContext,
): Promise<Passage> {
  const seen: JsonRpcRequest[] = [];
  let current = message;
  let timeoutMs: number | undefined;
  for (const interceptor of interceptors) {
    seen.push(current);
    if (interceptor.onRequest === undefined) continue;
    const verdict = await interceptor.onRequest(current, context);
    if (verdict.kind === 'answer')
      // The answer must carry the id the caller will match, whatever the interceptor wrote.
      return {
        seen,
        outcome: { kind: 'answer', message: { ...verdict.message, id: current.id } },
        timeoutMs,
      };
    current = verdict.message;
    if (verdict.timeoutMs !== undefined)
      timeoutMs = Math.min(timeoutMs ?? verdict.timeoutMs, verdict.timeoutMs);
  }
  return { seen, outcome: { kind: 'forward', message: current }, timeoutMs };
}

export async function passResponse(
  interceptors: readonly Interceptor[],
  passage: Passage,
  response: JsonRpcResponse,
  context: InterceptContext,
): Promise<JsonRpcResponse> {
  let current = response;
  for (let i = passage.seen.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i]!;
    // An interceptor that answered itself does not see its own answer.
    if (
      interceptor.onResponse === undefined ||
      (passage.outcome.kind === 'answer' && i === passage.seen.length - 1)
    )
      continue;
    current = await interceptor.onResponse(current, passage.seen[i]!, context);
  }
  return current;
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
