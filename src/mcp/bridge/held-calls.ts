/**
 * Upstream calls parked while a 2026-07-28 client gathers the input they
 * asked for. This is the one piece of bridging state that is not
 * stateless: the upstream exchange lives on the instance that started it.
 * A call's id names that instance (`<instance>.<random>`), and the sealed
 * requestState names the call, so a retry landing on another instance is
 * played on the owner through the instance relay (held-calls-relay.ts).
 * A client that never retries does not hold an upstream call forever:
 * after `holdMs` it is cancelled.
 */
import crypto from 'node:crypto';
import type { InstanceRelay } from '../../shared-state/relay/instance-relay.ts';
import type { HeldCall } from './held-call.ts';
import { createHeldCallsRelay, parkRemote } from './held-calls-relay.ts';
import type { HeldCallOwner } from './held-calls-relay.ts';

export interface HeldCalls {
  /** A fresh id for a call held by this instance. */
  newId(): string;
  park(call: HeldCall): void;
  /**
   * Takes a call out for its next round; undefined when unknown, expired or
   * already taken. A call held by another instance comes as a stand-in at
   * `round` (the round the client's state names), checked by its owner.
   */
  take(id: string, round?: number): HeldCall | undefined;
  size(): number;
  /** Cancels every parked call (shutdown). */
  clear(): void;
}

export interface HeldCallsOptions {
  holdMs: number;
  maxCalls: number;
  /** Reaches the instances holding other calls; alone when absent. */
  relay?: InstanceRelay;
  /** How often the two instances of a remote round say they are there (tests shorten it). */
  heartbeatMs?: number;
}

interface Entry {
  call: HeldCall;
  timer: NodeJS.Timeout;
}

const ownerOf = (id: string): string | undefined => {
  const dot = id.indexOf('.');
  return dot > 0 ? id.slice(0, dot) : undefined;
};

export function createHeldCalls(options: HeldCallsOptions): HeldCalls {
  const { relay } = options;
  const parked = new Map<string, Entry>();
  /** Calls whose current round is being played on another instance. */
  const lent = new Map<string, Entry>();

  const hold = (into: Map<string, Entry>, call: HeldCall, reason: string): void => {
    const timer = setTimeout(() => {
      into.delete(call.id);
      call.cancel(reason);
    }, options.holdMs);
    timer.unref();
    into.set(call.id, { call, timer });
  };
  const remove = (from: Map<string, Entry>, id: string): HeldCall | undefined => {
    const entry = from.get(id);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    from.delete(id);
    return entry.call;
  };

  const parkHere = (call: HeldCall): void => {
    remove(lent, call.id);
    if (parked.size >= options.maxCalls) {
      call.cancel('The gateway holds too many calls waiting for client input.');
      return;
    }
    hold(parked, call, 'The client did not retry with the requested input in time.');
  };

  const owner: HeldCallOwner = {
    lend(id, round) {
      const entry = parked.get(id);
      if (entry === undefined) return undefined;
      if (entry.call.round !== round) return 'stale';
      remove(parked, id);
      hold(lent, entry.call, 'The gateway instance continuing this call did not finish it.');
      return entry.call;
    },
    lent: (id) => lent.get(id)?.call,
    playing(id) {
      const entry = lent.get(id);
      if (entry) clearTimeout(entry.timer);
    },

    release: (id) => void remove(lent, id),
    park: parkHere,
    cancel(id, reason) {
      (remove(parked, id) ?? remove(lent, id))?.cancel(reason);
    },
  };
  const remote =
    relay === undefined
      ? undefined
      : createHeldCallsRelay(relay, owner, {
          timeoutMs: options.holdMs,
          ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
        });
  const elsewhere = (id: string): string | undefined => {
    const at = ownerOf(id);
    return relay !== undefined && at !== undefined && at !== relay.instanceId ? at : undefined;
  };

  return {
    newId() {
      const random = crypto.randomBytes(12).toString('base64url');
      return relay === undefined ? random : `${relay.instanceId}.${random}`;
    },
    park(call) {
      const at = elsewhere(call.id);
      if (at !== undefined && relay !== undefined) parkRemote(relay, at, call);
      else parkHere(call);
    },
    take(id, round) {
      const at = elsewhere(id);
      if (at !== undefined && remote !== undefined) return remote.remote(at, id, round ?? 0);
      return remove(parked, id);
    },
    size: () => parked.size,
    clear() {
      for (const entries of [parked, lent]) {
        for (const { call, timer } of entries.values()) {
          clearTimeout(timer);
          call.cancel('The gateway is shutting down.');
        }
        entries.clear();
      }
      remote?.close();
    },
  };
}
