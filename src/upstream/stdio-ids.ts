/**
 * Id and progress-token rewriting for one stdio process, which every
 * downstream session shares: each request goes to the process under a fresh
 * integer id (and its progressToken under the same integer), so ids and
 * tokens of different callers can never collide, and the answer is mapped
 * back from the exchange that sent it. Server→client requests keep the
 * process's own ids; the mcp layer already maps those.
 */
import { isNotification, isRequest, isResponse, metaOf } from '../mcp/json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../mcp/json-rpc.ts';

export interface RewrittenBatch {
  /** The messages as the process must see them. */
  readonly outgoing: JsonRpcMessage[];
  /** The requests among them, for the router. */
  readonly requests: JsonRpcRequest[];
  /** Puts the caller's id back on a response, and its token on a progress notification. */
  restore(message: JsonRpcMessage): JsonRpcMessage;
  /** The exchange is over: its ids can no longer be cancelled. */
  release(): void;
}

export interface IdSpace {
  rewrite(messages: JsonRpcMessage[]): RewrittenBatch;
}

const keyOf = (id: unknown): string => `${typeof id}:${String(id)}`;

export function createIdSpace(): IdSpace {
  let next = 0;
  /** The caller's request id → the process-side id, for notifications/cancelled. */
  const inFlight = new Map<string, number>();

  return {
    rewrite(messages) {
      const ids = new Map<number, JsonRpcId>();
      const tokens = new Map<number, unknown>();
      const outgoing: JsonRpcMessage[] = [];
      const requests: JsonRpcRequest[] = [];
      for (const message of messages) {
        if (isRequest(message)) {
          const id = ++next;
          ids.set(id, message.id);
          inFlight.set(keyOf(message.id), id);
          let rewritten: JsonRpcRequest = { ...message, id };
          const meta = metaOf(message);
          const token = meta?.progressToken;
          if (typeof token === 'string' || typeof token === 'number') {
            tokens.set(id, token);
            rewritten = {
              ...rewritten,
              params: { ...message.params, _meta: { ...meta, progressToken: id } },
            };
          }
          outgoing.push(rewritten);
          requests.push(rewritten);
        } else if (isNotification(message) && message.method === 'notifications/cancelled') {
          // MCP stdio: cancellation is notifications/cancelled with the receiver's own id.
          const id = inFlight.get(keyOf(message.params?.requestId));
          if (id !== undefined)
            outgoing.push({ ...message, params: { ...message.params, requestId: id } });
        } else {
          outgoing.push(message);
        }
      }
      return {
        outgoing,
        requests,
        restore(message) {
          if (isResponse(message) && typeof message.id === 'number' && ids.has(message.id))
            return { ...message, id: ids.get(message.id)! };
          if (isNotification(message) && message.method === 'notifications/progress') {
            const token = message.params?.progressToken;
            if (typeof token === 'number' && tokens.has(token))
              return {
                ...message,
                params: { ...message.params, progressToken: tokens.get(token) },
              };
          }
          return message;
        },
        release() {
          for (const [id, original] of ids)
            if (inFlight.get(keyOf(original)) === id) inFlight.delete(keyOf(original));
        },
      };
    },
  };
}
