/**
 * A 2025-era client's answers to the requests the era bridge asked it on
 * behalf of a 2026-07-28 upstream (mcp/bridge/ask-legacy-client.ts), when
 * the answer's POST lands on another instance than the one waiting for it.
 * The waiting instance owns the request id through the relay; an answer
 * nobody waits for here is claimed and sent to that owner, which hands it
 * to its local waiter. A timeout stays with the waiter, as on one instance.
 */
import type { Logger } from 'pino';
import type { ClientAnswers } from '../../mcp/bridge/client-answers.ts';
import type { JsonRpcResponse } from '../../mcp/json-rpc.ts';
import type { InstanceRelay } from './instance-relay.ts';

const TOPIC = 'bridge.client-answer';

const keyOf = (id: string): string => `bridge-answer:${id}`;

export function createRelayedClientAnswers(
  local: ClientAnswers,
  relay: InstanceRelay,
  options: { timeoutMs: number; log?: Pick<Logger, 'warn'> },
): ClientAnswers {
  const ownedMs = options.timeoutMs * 2 + 1_000;
  relay.on(TOPIC, (payload) => void local.settle(payload as JsonRpcResponse));

  const forward = async (response: JsonRpcResponse & { id: string }): Promise<void> => {
    const owner = await relay.claim(keyOf(response.id));
    if (owner !== undefined && owner !== relay.instanceId) await relay.send(owner, TOPIC, response);
  };

  return {
    wait(id, method, signal) {
      // Owned before the request goes out on the client's stream, so before any answer exists.
      relay.own(keyOf(id), ownedMs).catch((error: unknown) => {
        options.log?.warn({ err: (error as Error).message }, 'could not share a bridged request');
      });
      return local.wait(id, method, signal);
    },
    settle(response) {
      if (local.settle(response)) {
        if (typeof response.id === 'string') relay.claim(keyOf(response.id)).catch(() => undefined);
        return true;
      }
      if (typeof response.id !== 'string') return false;
      forward({ ...response, id: response.id }).catch((error: unknown) => {
        options.log?.warn({ err: (error as Error).message }, 'could not forward a client answer');
      });
      return false;
    },
    size: () => local.size(),
    clear() {
      local.clear();
    },
  };
}
