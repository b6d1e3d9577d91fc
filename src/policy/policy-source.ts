/**
 * The policy interceptor of each MCP call, from the server's current policy
 * document and tool pins. Both are held in memory and re-read from the store
 * at most `ttlMs` after the last read, so a change made on another instance
 * applies within that time; a change made here applies to the next request
 * (`changed`). A server without a policy gets only the list_changed watcher.
 */
import type { Logger } from 'pino';
import type { Principal } from '../auth/resource/principal.ts';
import type { MemberAccess } from '../auth/resource/member-access.ts';
import type { Interceptor, InterceptorSource } from '../mcp/intercept/interceptor.ts';
import type { JsonObject } from '../mcp/json-rpc.ts';
import type { Role, ServerDefinition, ToolPin } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import { ALL_LISTS } from './policy-notices.ts';
import type { ListKind, PolicyNotices } from './policy-notices.ts';
import { createPolicyInterceptor } from './policy-interceptor.ts';
import { createPolicyView, notePin } from './policy-view.ts';
import type { PinState } from './policy-view.ts';
import type { SecurityPolicy } from './security-policy.ts';
import { serverPolicySchema } from './server-policy-schema.ts';
import type { ServerPolicy } from './server-policy-schema.ts';

export interface PolicySourceDeps {
  readonly store: Pick<Store, 'serverPolicies' | 'toolPins'>;
  readonly members: MemberAccess;
  readonly notices: PolicyNotices;
  readonly log: Logger;
  /** How long a read of the store is trusted; default 1 s. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export interface PolicySource extends InterceptorSource {
  /** The server's current policy document; undefined when it has none. Synchronous while cached. */
  current(server: ServerDefinition): ServerPolicy | undefined | Promise<ServerPolicy | undefined>;
  /** LIMITS: the security section of the current document. */
  securityOf(
    server: ServerDefinition,
  ): SecurityPolicy | undefined | Promise<SecurityPolicy | undefined>;
  /** A change made on this instance: re-read at the next request, and tell connected clients. */
  changed(workspaceId: string, serverId: string, kinds?: readonly ListKind[]): void;
  /**
   * Re-reads the policies of servers that clients are watching, once their
   * cache is older than the TTL: a change made on another instance reaches
   * these clients as list_changed without waiting for a request (main.ts
   * calls it every second).
   */
  refresh(): Promise<void>;
}

interface Entry {
  readonly at: number;
  readonly version: number;
  /** When the document was saved (ms), with the version telling one saved document from another. */
  readonly saved: number;
  readonly policy: ServerPolicy | undefined;
  readonly pins: Map<string, PinState>;
  /** The policy interceptor of each member view (user and role). */
  readonly views: Map<string, readonly Interceptor[]>;
  /** What a server without a policy gets: only the list_changed watcher. */
  readonly watcherOnly: readonly Interceptor[];
}

const LIST_CHANGED: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  resources: 'notifications/resources/list_changed',
  prompts: 'notifications/prompts/list_changed',
};

function pinState(pin: ToolPin): PinState {
  return { approvedHash: pin.approvedHash, seenHash: pin.seenHash, blocked: pin.blocked };
}

export function createPolicySource(deps: PolicySourceDeps): PolicySource {
  const ttlMs = deps.ttlMs ?? 1000;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry>>();
  // Changed on another instance (notice bus): re-read before its clients list again.
  deps.notices.onRemoteChange((key) => entries.delete(key));

  const load = async (workspaceId: string, serverId: string): Promise<Entry> => {
    const key = `${workspaceId}/${serverId}`;
    const record = await deps.store.serverPolicies.current(workspaceId, serverId);
    const before = entries.get(key);
    const saved = record?.updatedAt.getTime() ?? 0;
    let policy: ServerPolicy | undefined;
    if (
      record !== undefined &&
      before !== undefined &&
      before.version === record.version &&
      before.saved === saved
    )
      // The same saved document: parsed (and its argument schemas compiled) once, not every TTL.
      policy = before.policy;
    else if (record !== undefined) {
      const parsed = serverPolicySchema.safeParse(record.document);
      if (parsed.success) policy = parsed.data;
      else {
        // Documents are validated before they are saved; one that no longer parses hides everything.
        deps.log.error({ server: key, issues: parsed.error.issues }, 'stored policy is invalid');
        policy = serverPolicySchema.parse({ mode: 'allowlist' });
      }
    }
    const pins = new Map<string, PinState>();
    if (policy !== undefined)
      for (const pin of await deps.store.toolPins.list(workspaceId, serverId))
        pins.set(pin.tool, pinState(pin));
    const entry: Entry = {
      at: now(),
      version: record?.version ?? 0,
      saved,
      policy,
      pins,
      views: new Map(),
      watcherOnly: [{ name: 'policy-notices', watch: watchFor(key) }],
    };
    const previous = entries.get(key);
    entries.set(key, entry);
    // Another instance changed it: this instance's clients learn it here.
    if (previous !== undefined && previous.version !== entry.version)
      deps.notices.notify(key, ALL_LISTS);
    return entry;
  };

  const entryFor = (workspaceId: string, serverId: string): Entry | Promise<Entry> => {
    const key = `${workspaceId}/${serverId}`;
    const cached = entries.get(key);
    if (cached !== undefined && now() - cached.at < ttlMs) return cached;
    let pending = loading.get(key);
    if (pending === undefined) {
      pending = load(workspaceId, serverId).finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  };

  const watchFor =
    (serverKey: string): NonNullable<Interceptor['watch']> =>
    (send) =>
      deps.notices.watch(serverKey, (kinds) => {
        for (const kind of kinds) send({ jsonrpc: '2.0', method: LIST_CHANGED[kind] });
      });

  const observer = (server: ServerDefinition, entry: Entry) => ({
    observeTool(tool: string, hash: string, definition: JsonObject) {
      const noted = notePin(entry.pins, tool, hash);
      if (noted === 'known') return;
      const key = `${server.workspaceId}/${server.id}`;
      if (noted === 'changed')
        deps.log.warn({ server: key, tool }, 'tool definition changed since approval; quarantined');
      // Quarantined or back to the approved definition: what members see changed.
      if (noted === 'changed' || noted === 'seen') deps.notices.notify(key, ['tools']);
      deps.store.toolPins
        .observe({
          workspaceId: server.workspaceId,
          serverId: server.id,
          tool,
          hash,
          definition,
          at: new Date(),
          approveIfNew: true,
        })
        .catch((error: unknown) =>
          deps.log.error({ err: error, server: key, tool }, 'could not store a tool definition'),
        );
    },
  });

  const withPolicy = (
    server: ServerDefinition,
    entry: Entry,
    policy: ServerPolicy,
    principal: Principal,
    role: Role | undefined,
  ): readonly Interceptor[] => {
    const viewKey = `${principal.userId}\u0000${role ?? ''}`;
    let interceptors = entry.views.get(viewKey);
    if (interceptors === undefined) {
      // The interceptor keeps no per-call state: one per member view, until the entry is re-read.
      const view = createPolicyView(policy, { userId: principal.userId, role }, entry.pins);
      const interceptor = createPolicyInterceptor(view, observer(server, entry));
      interceptors = [{ ...interceptor, watch: watchFor(`${server.workspaceId}/${server.id}`) }];
      entry.views.set(viewKey, interceptors);
    }
    return interceptors;
  };

  // Synchronous while the entry and the membership are cached: no promise on the hot path.
  const forEntry = (
    server: ServerDefinition,
    principal: Principal,
    entry: Entry,
  ): readonly Interceptor[] | Promise<readonly Interceptor[]> => {
    const policy = entry.policy;
    if (policy === undefined) return entry.watcherOnly;
    const membership = deps.members.find(server.workspaceId, principal.userId);
    return membership instanceof Promise
      ? membership.then((member) => withPolicy(server, entry, policy, principal, member?.role))
      : withPolicy(server, entry, policy, principal, membership?.role);
  };

  const interceptorsFor = (
    server: ServerDefinition,
    principal: Principal,
  ): readonly Interceptor[] | Promise<readonly Interceptor[]> => {
    const found = entryFor(server.workspaceId, server.id);
    return found instanceof Promise
      ? found.then((entry) => forEntry(server, principal, entry))
      : forEntry(server, principal, found);
  };

  return {
    interceptorsFor,
    current(server) {
      const found = entryFor(server.workspaceId, server.id);
      return found instanceof Promise ? found.then((entry) => entry.policy) : found.policy;
    },
    securityOf(server) {
      const found = entryFor(server.workspaceId, server.id);
      return found instanceof Promise
        ? found.then((entry) => entry.policy?.security)
        : found.policy?.security;
    },
    async refresh() {
      for (const key of deps.notices.watched()) {
        const cached = entries.get(key);
        if (cached !== undefined && now() - cached.at < ttlMs) continue;
        const [workspaceId, serverId] = key.split('/') as [string, string];
        try {
          await entryFor(workspaceId, serverId);
        } catch (error) {
          deps.log.warn({ err: error, server: key }, 'could not re-read a server policy');
        }
      }
    },
    changed(workspaceId, serverId, kinds = ALL_LISTS) {
      const key = `${workspaceId}/${serverId}`;
      entries.delete(key);
      deps.notices.notify(key, kinds);
    },
  };
}
