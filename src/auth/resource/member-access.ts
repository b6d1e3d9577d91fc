/**
 * Which servers a user may reach in a workspace, read from the store and
 * cached for a few seconds: membership and server access are checked on
 * every MCP request, for API keys and OAuth tokens alike, so removing a
 * member or narrowing their access takes effect within MEMBER_TTL_MS on
 * every instance (at once on the instance that made the change, which
 * clears the cache).
 */
import { GenerationalCache } from '../../shared/generational-cache.ts';
import type { Member } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';

export interface MemberAccess {
  find(workspaceId: string, userId: string): Member | undefined | Promise<Member | undefined>;
  clear(): void;
}

const MEMBER_TTL_MS = 5_000;
const CACHE_SIZE = 10_000;

export function canReach(member: Member | undefined, serverId: string): boolean {
  return member !== undefined && (member.serverIds === null || member.serverIds.includes(serverId));
}

export function createMemberAccess(
  store: Pick<Store, 'members'>,
  now: () => number = Date.now,
): MemberAccess {
  const cache = new GenerationalCache<string, { member: Member | undefined; at: number }>(
    CACHE_SIZE,
  );
  return {
    find(workspaceId, userId) {
      const key = `${workspaceId}\u0000${userId}`;
      const at = now();
      const cached = cache.get(key);
      if (cached !== undefined && at - cached.at < MEMBER_TTL_MS) return cached.member;
      return store.members.find(workspaceId, userId).then((member) => {
        cache.set(key, { member, at });
        return member;
      });
    },
    clear() {
      cache.clear();
    },
  };
}
