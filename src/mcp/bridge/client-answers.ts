/**
 * Server→client requests the bridge sent a 2025-era client on behalf of a
 * modern upstream's `input_required`, waiting for the client's answer.
 * The answer arrives as a separate POST on the session and must reach
 * this instance, where the upstream retry is being prepared. A client
 * that declared a capability but never answers fails the call after the
 * timeout instead of holding it forever.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { JsonRpcResponse } from '../json-rpc.ts';

export interface ClientAnswers {
  /** Resolves with the client's response to request `id`; rejects on timeout or abort. */
  wait(id: string, method: string, signal: AbortSignal): Promise<JsonRpcResponse>;
  /** Hands over a response; false when nothing on this instance waits for it. */
  settle(response: JsonRpcResponse): boolean;
  size(): number;
  clear(): void;
}

interface Waiter {
  resolve(response: JsonRpcResponse): void;
  reject(error: GatewayError): void;
}

export function createClientAnswers(timeoutMs: number): ClientAnswers {
  const waiting = new Map<string, Waiter>();
  return {
    wait(id, method, signal) {
      return new Promise<JsonRpcResponse>((resolve, reject) => {
        const onAbort = (): void =>
          finish(() =>
            reject(new GatewayError('upstream_unavailable', 'The request was cancelled.')),
          );
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new GatewayError(
                  'client_request_timeout',
                  `The client did not answer ${method} within ${timeoutMs} ms.`,
                ),
              ),
            ),
          timeoutMs,
        );
        timer.unref();
        const finish = (then: () => void): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          waiting.delete(id);
          then();
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.set(id, {
          resolve: (response) => finish(() => resolve(response)),
          reject: (error) => finish(() => reject(error)),
        });
      });
    },
    settle(response) {
      const waiter = typeof response.id === 'string' ? waiting.get(response.id) : undefined;
      if (waiter === undefined) return false;
      waiter.resolve(response);
      return true;
    },
    size: () => waiting.size,
    clear() {
      for (const waiter of [...waiting.values()])
        waiter.reject(new GatewayError('unavailable', 'The gateway is shutting down.'));
    },
  };
}
