/**
 * Tells the clients connected to a server that what they may see changed
 * (a policy saved, a tool quarantined or approved), so they list again:
 * legacy clients on their GET stream, modern clients on their
 * `subscriptions/listen` streams (the interceptor decorator carries them).
 */

import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { NoticeBus } from '../shared-state/notice-bus.ts';

export type ListKind = 'tools' | 'resources' | 'prompts';

export const ALL_LISTS: readonly ListKind[] = ['tools', 'resources', 'prompts'];

export interface PolicyNotices {
  /** Calls `send` with the lists that changed until the returned function is called. */
  watch(serverKey: string, send: (kinds: readonly ListKind[]) => void): () => void;
  notify(serverKey: string, kinds: readonly ListKind[]): void;
  /** Streams currently watching a server (tests, status). */
  watching(serverKey: string): number;
  /** Servers with at least one stream watching. */
  watched(): string[];
  /**
   * Calls `listener` with a server's key when another instance changed what
   * it shows, before this instance's clients are told: caches of it are stale.
   */
  onRemoteChange(listener: (serverKey: string) => void): () => void;
}

export function createPolicyNotices(): PolicyNotices {
  const watchers = new Map<string, Set<(kinds: readonly ListKind[]) => void>>();
  return {
    watch(serverKey, send) {
      let set = watchers.get(serverKey);
      if (set === undefined) watchers.set(serverKey, (set = new Set()));
      set.add(send);
      return () => {
        set.delete(send);
        if (set.size === 0 && watchers.get(serverKey) === set) watchers.delete(serverKey);
      };
    },
    notify(serverKey, kinds) {
      for (const send of watchers.get(serverKey) ?? []) send(kinds);
    },
    watching: (serverKey) => watchers.get(serverKey)?.size ?? 0,
    watched: () => [...watchers.keys()],
    onRemoteChange: () => () => undefined,
  };
}

export const POLICY_CHANNEL = 'policy-changed';

interface PolicyNotice {
  from: string;
  key: string;
  kinds: ListKind[];
}

function parseNotice(payload: string): PolicyNotice | undefined {
  try {
    const notice = JSON.parse(payload) as Partial<PolicyNotice>;
    if (typeof notice.from !== 'string' || typeof notice.key !== 'string') return undefined;
    if (!Array.isArray(notice.kinds)) return undefined;
    const kinds = notice.kinds.filter((kind) => ALL_LISTS.includes(kind));
    return { from: notice.from, key: notice.key, kinds };
  } catch {
    return undefined;
  }
}

/**
 * Policy notices across instances: `notify` goes out on the notice bus and
 * every instance (this one included) tells its own watching clients. When
 * the bus cannot be reached the notice stays on this instance, and the
 * others learn the change from their periodic re-read (PolicySource.refresh).
 */
export async function createSharedPolicyNotices(
  bus: NoticeBus,
  logger: Pick<Logger, 'warn'>,
): Promise<PolicyNotices & { close(): Promise<void> }> {
  const local = createPolicyNotices();
  const self = crypto.randomUUID();
  const remoteListeners = new Set<(serverKey: string) => void>();
  const stop = await bus.subscribe(POLICY_CHANNEL, (payload) => {
    const notice = parseNotice(payload);
    if (notice === undefined) return;
    if (notice.from !== self) for (const listener of remoteListeners) listener(notice.key);
    local.notify(notice.key, notice.kinds);
  });
  return {
    watch: (serverKey, send) => local.watch(serverKey, send),
    watching: (serverKey) => local.watching(serverKey),
    watched: () => local.watched(),
    notify(serverKey, kinds) {
      const notice: PolicyNotice = { from: self, key: serverKey, kinds: [...kinds] };
      bus.publish(POLICY_CHANNEL, JSON.stringify(notice)).catch((error: unknown) => {
        logger.warn(
          { err: (error as Error).message, server: serverKey },
          'policy notice kept on this instance: the shared state is unreachable',
        );
        local.notify(serverKey, kinds);
      });
    },
    onRemoteChange(listener) {
      remoteListeners.add(listener);
      return () => remoteListeners.delete(listener);
    },
    close: stop,
  };
}
