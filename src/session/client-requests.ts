/**
 * Server→client requests (sampling, elicitation, roots) relayed to a
 * downstream client and not yet answered. A client may declare a capability
 * and never answer (claude.ai and roots/list), so each one times out and the
 * upstream gets an error instead of waiting forever.
 *
 * Behind a load balancer the answer may reach another instance than the
 * one whose upstream stream carried the request. Each key is owned through
 * the instance relay: whoever claims it first acts, exactly once — the
 * answer on any instance, or the owner's timeout. An answer claimed away
 * from the owner is sent to it, which delivers it on the upstream exchange
 * it holds (a stdio process or HTTP+SSE stream exists on that instance
 * only). With the memory relay everything stays on this instance.
 */
import type { Logger } from 'pino';
import type { JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createMemoryInstanceRelay } from '../shared-state/relay/instance-relay.ts';
import type { InstanceRelay } from '../shared-state/relay/instance-relay.ts';

export interface ClientRequestRoute {
  /** Nobody answered in time: fail the request upstream. */
  timedOut(): void;
  /** Hands an answer that reached another instance to the upstream (on the owner). */
  deliver(answer: JsonRpcResponse): Promise<void>;
}

/**
 * - `here`: this instance owns the request; the caller delivers the answer;
 * - `forwarded`: the owning instance got the answer and delivers it;
 * - `orphaned`: the owner is gone; a caller that can reach the upstream
 *   session itself (HTTP) may deliver it;
 * - `unknown`: not pending (never sent, already answered, or timed out).
 */
export type SettleOutcome = 'here' | 'forwarded' | 'orphaned' | 'unknown';

export interface PendingClientRequests {
  /** Starts the clock and records this instance as the owner of `key`. */
  register(key: string, route: ClientRequestRoute): void;
  /**
   * Resolves once every registration so far is recorded where the other
   * instances look; a request is written to the client after it, so no
   * answer can arrive anywhere before its key.
   */
  shared(): Promise<void>;
  /** Claims the key for `answer`, the one winner across instances. */
  settle(key: string, answer: JsonRpcResponse): Promise<SettleOutcome>;
  /** Cancels every clock (shutdown). */
  clear(): void;
  size(): number;
}

export interface PendingClientRequestsOptions {
  timeoutMs: number;
  /** Where the keys are owned; one instance in memory when absent. */
  relay?: InstanceRelay;
  log?: Pick<Logger, 'warn'>;
  /** How long a clock that lost its claim waits for the forwarded answer (tests shorten it). */
  handoverMs?: number;
}

const TOPIC = 'client-request.answer';

/** Time a clock that lost its claim waits for the winner's forwarded answer. */
const HANDOVER_MS = 10_000;

interface Entry {
  route: ClientRequestRoute;
  timer: NodeJS.Timeout;
}

interface Forwarded {
  key: string;
  answer: JsonRpcResponse;
}

export function createPendingClientRequests(
  options: PendingClientRequestsOptions,
): PendingClientRequests {
  const { timeoutMs, log } = options;
  const relay = options.relay ?? createMemoryInstanceRelay();
  const pending = new Map<string, Entry>();
  // One connection carries every registration in order: the last one done means all are.
  let lastOwned: Promise<void> = Promise.resolve();
  // The shared key outlives the local clock so that the clock's own claim finds it.
  const ownedMs = timeoutMs * 2 + 1_000;

  const drop = (key: string, entry: Entry): void => {
    clearTimeout(entry.timer);
    if (pending.get(key) === entry) pending.delete(key);
  };

  const expire = async (key: string, entry: Entry): Promise<void> => {
    let owner: string | undefined;
    try {
      owner = await relay.claim(key);
    } catch (error) {
      // Without the shared state, failing the request beats holding it forever.
      log?.warn({ err: (error as Error).message }, 'could not claim a timed-out client request');
      owner = relay.instanceId;
    }
    // Answered (forwarded here) or registered anew while the claim was on its way.
    if (pending.get(key) !== entry) return;
    if (owner === relay.instanceId) {
      drop(key, entry);
      entry.route.timedOut();
      return;
    }
    // Answered elsewhere: the answer is on its way here. Pub/sub may lose it, and then the
    // upstream still gets its error rather than waiting forever.
    entry.timer = setTimeout(() => {
      drop(key, entry);
      entry.route.timedOut();
    }, options.handoverMs ?? HANDOVER_MS);
    entry.timer.unref();
  };

  relay.on(TOPIC, (payload) => {
    const { key, answer } = payload as Forwarded;
    const entry = pending.get(key);
    if (entry === undefined) return;
    drop(key, entry);
    entry.route.deliver(answer).catch((error: unknown) => {
      log?.warn({ err: (error as Error).message }, 'could not deliver a forwarded client answer');
    });
  });

  return {
    register(key, route) {
      const existing = pending.get(key);
      if (existing) clearTimeout(existing.timer);
      const entry: Entry = { route, timer: setTimeout(() => void expire(key, entry), timeoutMs) };
      entry.timer.unref();
      pending.set(key, entry);
      lastOwned = relay.own(key, ownedMs).catch((error: unknown) => {
        log?.warn({ err: (error as Error).message }, 'could not share a pending client request');
      });
    },
    shared: () => lastOwned,
    async settle(key, answer) {
      let owner: string | undefined;
      try {
        owner = await relay.claim(key);
      } catch {
        owner = pending.has(key) ? relay.instanceId : undefined;
      }
      if (owner === undefined) return 'unknown';
      if (owner === relay.instanceId) {
        const entry = pending.get(key);
        if (entry) drop(key, entry);
        return 'here';
      }
      const sent = await relay
        .send(owner, TOPIC, { key, answer } satisfies Forwarded)
        .catch(() => false);
      return sent ? 'forwarded' : 'orphaned';
    },
    clear() {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
    },
    size: () => pending.size,
  };
}
