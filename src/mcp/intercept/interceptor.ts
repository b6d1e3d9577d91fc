/**
 * Interceptors: the one place where gateway policy, usage limits, upstream
 * credentials and capture see (and may change) what crosses to an upstream.
 *
 * Every path of the mcp layer (legacy pass-through, modern byte
 * pass-through, both era bridges, batches, stdio) reaches the upstream
 * through the `Upstream` port, so interceptors run in a decorator of that
 * port (intercept-upstream.ts): the same decision governs discovery
 * (`tools/list`, …) and invocation (`tools/call`, …) on every path.
 */
import type { Principal } from '../../auth/resource/principal.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type {
  JsonObject,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from '../json-rpc.ts';

export interface InterceptContext {
  readonly server: ServerDefinition;
  readonly principal: Principal;
  /** The record of the downstream message being served (capture, limits and policy note on it). */
  readonly record: RequestRecord;
  /** Era spoken by the downstream client. */
  readonly era: 'legacy' | 'modern';
  /**
   * What the client declared: legacy from the session's `initialize`, modern
   * from the request's `_meta` (io.modelcontextprotocol/clientCapabilities);
   * undefined when unknown.
   */
  readonly clientCapabilities: JsonObject | undefined;
  /**
   * Sends a request to the client in the middle of this call and waits for
   * its answer (e.g. `elicitation/create`). Present only where the gateway
   * can: `tools/call`, `prompts/get` or `resources/read` going upstream in
   * the 2025 shape (client-asks.ts); a 2026-07-28-shaped request is answered
   * with MRTR `input_required` instead. The answer is an error response when
   * the client does not answer within `timeoutMs`.
   */
  readonly ask?: (
    request: { method: string; params?: JsonObject },
    timeoutMs: number,
  ) => Promise<JsonRpcResponse>;
}

/** What an interceptor decides about one client request before it goes upstream. */
export type RequestVerdict =
  /** Go on with this message (the same one, or a rewritten copy: e.g. an overridden tool name mapped back). */
  | {
      readonly kind: 'forward';
      readonly message: JsonRpcRequest;
      /** Time allowed to the upstream for this message (security timeout); the smallest one wins. */
      readonly timeoutMs?: number;
    }
  /** The gateway answers itself (a refusal, or an MRTR `input_required` result); the upstream is not called. */
  | { readonly kind: 'answer'; readonly message: JsonRpcResponse };

export interface Interceptor {
  /** For logs and ordering. */
  readonly name: string;
  /**
   * Set when `onRequest` may call `context.ask`: only then does the decorator
   * open a call for asking (a context and a race per call), so interceptors
   * that never ask cost nothing for it.
   */
  readonly asks?: boolean;
  /** Each client→server request, in interceptor order; the first `answer` stops the chain. */
  onRequest?(
    message: JsonRpcRequest,
    context: InterceptContext,
  ): RequestVerdict | Promise<RequestVerdict>;
  /** The upstream's answer to a request that went through `onRequest`, in reverse order. */
  onResponse?(
    response: JsonRpcResponse,
    request: JsonRpcRequest,
    context: InterceptContext,
  ): JsonRpcResponse | Promise<JsonRpcResponse>;
  /**
   * False when `onResponse` has nothing to do with the answer to this
   * request (policy: only lists): a modern JSON answer then passes byte for
   * byte, unparsed. Absent: every answer.
   */
  responseFor?(request: JsonRpcRequest): boolean;
  /** Each server→client message (notification or request) on the way down; `undefined` drops it. */
  onServerMessage?(message: JsonRpcMessage, context: InterceptContext): JsonRpcMessage | undefined;
  /**
   * Notifications the gateway itself sends on the client's long-lived
   * streams (legacy GET stream, modern `subscriptions/listen`), e.g.
   * `list_changed` after a policy change. Called once per stream; `send`
   * works until the returned function is called (the stream ended).
   */
  watch?(send: (notification: JsonRpcNotification) => void, context: InterceptContext): () => void;
}

/** Builds the interceptors for one call; an empty list means the upstream is used undecorated (hot path). */
export interface InterceptorSource {
  interceptorsFor(
    server: ServerDefinition,
    principal: Principal,
  ): readonly Interceptor[] | Promise<readonly Interceptor[]>;
}
