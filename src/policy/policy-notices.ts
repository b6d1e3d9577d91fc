/**
 * Tells the clients connected to a server that what they may see changed
 * (a policy saved, a tool quarantined or approved), so they list again:
 * legacy clients on their GET stream, modern clients on their
 * `subscriptions/listen` streams (the interceptor decorator carries them).
 */

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
  };
}
