/**
 * One Upstream per server definition, created on first use and replaced when
 * the definition's endpoint (or stdio command, arguments, working directory
 * or environment)
 * changes, so connection pools and processes live as long as the server does.
 *
 * A stdio server whose environment carries member secrets (`memberEnv`) has
 * one upstream, so one process, per member instead: each starts with that
 * member's own values, and pooled upstream sessions and pending server→client
 * requests stay apart because every process mints its own session ids. The
 * reaper is shared, so the per-instance process cap counts every process.
 */
import crypto from 'node:crypto';
import { openUpstreamHeaders } from '../auth/upstream-credentials/upstream-auth-secrets.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import { createChildReaper } from './child-reaper.ts';
import { createLegacySseUpstream } from './legacy-sse.ts';
import type { AddressGuard } from './ssrf-guard.ts';
import { createStdioUpstream } from './stdio.ts';
import type { StdioDeps } from './stdio.ts';
import type { StdioState } from './stdio-supervisor.ts';
import type { ProcessLog } from './stdio-process.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';
import type { Upstream } from './upstream.ts';

export interface MemberProcessState {
  readonly userId: string;
  readonly state: StdioState;
}

export interface UpstreamRegistry {
  /** `caller` picks the member's own upstream of a server with member secrets. */
  get(server: ServerDefinition, caller?: { readonly userId: string }): Upstream;
  /** The live shared upstream of `<workspace>/<server>`, if one was created. */
  find(serverKey: string): Upstream | undefined;
  /** The process state of a stdio server's live upstream; undefined for other transports or none yet (per instance). */
  stdioState(serverKey: string): StdioState | undefined;
  /** The per-member processes of a server with member secrets, on this instance. */
  memberStates(serverKey: string): MemberProcessState[];
  /** Stops one member's process: their next call starts one with their current secrets. */
  restartMember(serverKey: string, userId: string): Promise<void>;
  /**
   * Closes the upstreams of servers no longer defined (stops their processes,
   * ends their pools), and members' processes whose secrets changed since they started.
   */
  retain(servers: readonly ServerDefinition[]): Promise<void>;
  closeAll(): Promise<void>;
}

/** Opens one member's secrets as the environment variables of `server` they set. */
export type MemberEnvReader = (
  server: ServerDefinition,
  userId: string,
) => Promise<Record<string, string>>;

interface Entry {
  upstream: Upstream;
  fingerprint: string;
  definition: ServerDefinition;
  state?: () => StdioState;
  /** Digest of the member values the running process started with. */
  startedWith?: string;
}

export const hasMemberEnv = (server: ServerDefinition): boolean =>
  server.transport === 'stdio' &&
  server.memberEnv !== undefined &&
  Object.keys(server.memberEnv).length > 0;

const digest = (values: Record<string, string>): string =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest('base64url');

function withMember(log: ProcessLog, userId: string): ProcessLog {
  return {
    debug: (details, message) => log.debug({ ...details, member: userId }, message),
    info: (details, message) => log.info({ ...details, member: userId }, message),
    warn: (details, message) => log.warn({ ...details, member: userId }, message),
  };
}

export function createUpstreamRegistry(
  guard: AddressGuard,
  options: {
    log?: ProcessLog;
    /** What stdio children inherit from the gateway's environment (PATH, HOME). */
    baseEnv?: StdioDeps['baseEnv'];
    stdio?: StdioDeps['options'];
    /** Opens sealed stdio environment values when a process is set up. */
    vault?: StdioDeps['vault'];
    /** Reads members' own secrets; servers with member secrets refuse calls without it. */
    memberEnv?: MemberEnvReader;
  } = {},
): UpstreamRegistry {
  const reaper = createChildReaper();
  const silent: ProcessLog = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
  };
  const upstreams = new Map<string, Entry>();
  /** serverKey → userId → that member's upstream. */
  const members = new Map<string, Map<string, Entry>>();

  const fingerprintOf = (server: ServerDefinition): string =>
    JSON.stringify([
      server.transport,
      server.url,
      server.command,
      server.args,
      server.cwd,
      server.env,
      server.upstreamAuth,
      server.memberEnv,
    ]);

  const create = (server: ServerDefinition, key: string, userId?: string): Entry => {
    const fingerprint = fingerprintOf(server);
    if (server.transport === 'http' && server.url !== null)
      return {
        fingerprint,
        definition: server,
        upstream: createStreamableHttpUpstream(key, server.url, guard, {
          headers: openUpstreamHeaders(options.vault, server),
        }),
      };
    if (server.transport === 'sse' && server.url !== null)
      return {
        fingerprint,
        definition: server,
        upstream: createLegacySseUpstream(key, server.url, guard, {
          log: options.log,
          headers: openUpstreamHeaders(options.vault, server),
        }),
      };
    if (server.transport === 'stdio' && server.command !== null) {
      const log = options.log ?? silent;
      const entry: Partial<Entry> = { fingerprint, definition: server };
      const readMemberEnv = options.memberEnv;
      const memberEnv =
        userId === undefined
          ? undefined
          : async () => {
              if (readMemberEnv === undefined)
                throw new GatewayError(
                  'internal',
                  `The server ${key} needs member secrets, which this gateway cannot read.`,
                );
              const values = await readMemberEnv(server, userId);
              entry.startedWith = digest(values);
              return values;
            };
      const stdio = createStdioUpstream(
        key,
        {
          command: server.command,
          args: server.args,
          env: server.env,
          cwd: server.cwd ?? undefined,
        },
        {
          log: userId === undefined ? log : withMember(log, userId),
          reaper,
          baseEnv: options.baseEnv ?? {},
          vault: options.vault,
          memberEnv,
          options: options.stdio,
        },
      );
      entry.upstream = stdio;
      entry.state = () => stdio.state();
      return entry as Entry;
    }
    throw new GatewayError(
      'unsupported_transport',
      `Transport "${server.transport}" is not served by this build yet.`,
    );
  };

  /** The entry for `server` in `map` under `id`, created or replaced when its definition changed. */
  const current = (
    map: Map<string, Entry>,
    id: string,
    server: ServerDefinition,
    make: () => Entry,
  ): Upstream => {
    const existing = map.get(id);
    // Definitions are immutable and replaced whole on reload: the same object needs no comparison.
    if (existing?.definition === server) return existing.upstream;
    if (existing?.fingerprint === fingerprintOf(server)) {
      existing.definition = server;
      return existing.upstream;
    }
    if (existing) void existing.upstream.close().catch(() => undefined);
    const entry = make();
    map.set(id, entry);
    return entry.upstream;
  };

  const closeEntries = (entries: Iterable<Entry>): Promise<unknown> =>
    Promise.allSettled([...entries].map((entry) => entry.upstream.close()));

  /** Whether the member's secrets now differ from those their running process started with. */
  const secretsChanged = async (
    server: ServerDefinition,
    userId: string,
    entry: Entry,
  ): Promise<boolean> => {
    if (entry.startedWith === undefined || options.memberEnv === undefined) return false;
    try {
      return digest(await options.memberEnv(server, userId)) !== entry.startedWith;
    } catch {
      // A value removed (or no longer readable): the process must not keep running with it.
      return true;
    }
  };

  return {
    get(server, caller) {
      const key = `${server.workspaceId}/${server.id}`;
      if (!hasMemberEnv(server)) return current(upstreams, key, server, () => create(server, key));
      if (caller === undefined)
        throw new GatewayError('internal', `The server ${key} runs one process per member.`);
      let perMember = members.get(key);
      if (perMember === undefined) {
        perMember = new Map<string, Entry>();
        members.set(key, perMember);
      }
      return current(perMember, caller.userId, server, () => create(server, key, caller.userId));
    },
    find: (serverKey) => upstreams.get(serverKey)?.upstream,
    stdioState: (serverKey) => upstreams.get(serverKey)?.state?.(),
    memberStates(serverKey) {
      const perMember = members.get(serverKey);
      if (perMember === undefined) return [];
      return [...perMember].map(([userId, entry]) => ({ userId, state: entry.state!() }));
    },
    async restartMember(serverKey, userId) {
      const entry = members.get(serverKey)?.get(userId);
      if (entry === undefined) return;
      members.get(serverKey)?.delete(userId);
      await entry.upstream.close();
    },
    async retain(servers) {
      const shared = new Set<string>();
      const perMember = new Map<string, ServerDefinition>();
      for (const server of servers) {
        const key = `${server.workspaceId}/${server.id}`;
        if (hasMemberEnv(server)) perMember.set(key, server);
        else shared.add(key);
      }
      const gone: Entry[] = [];
      for (const [key, entry] of upstreams)
        if (!shared.has(key)) {
          upstreams.delete(key);
          gone.push(entry);
        }
      const checks: Promise<void>[] = [];
      for (const [key, entries] of members) {
        const server = perMember.get(key);
        if (server === undefined) {
          members.delete(key);
          gone.push(...entries.values());
          continue;
        }
        for (const [userId, entry] of entries)
          checks.push(
            secretsChanged(server, userId, entry).then((changed) => {
              if (!changed || entries.get(userId) !== entry) return;
              entries.delete(userId);
              gone.push(entry);
            }),
          );
      }
      await Promise.all(checks);
      await closeEntries(gone);
    },
    async closeAll() {
      const all = [...upstreams.values(), ...[...members.values()].flatMap((m) => [...m.values()])];
      upstreams.clear();
      members.clear();
      await closeEntries(all);
    },
  };
}
