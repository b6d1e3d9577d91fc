/**
 * One Upstream per server definition, created on first use and replaced when
 * the definition's endpoint (or stdio command, arguments, working directory
 * or environment)
 * changes, so connection pools and processes live as long as the server does.
 */
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

export interface UpstreamRegistry {
  get(server: ServerDefinition): Upstream;
  /** The live upstream of `<workspace>/<server>`, if one was created. */
  find(serverKey: string): Upstream | undefined;
  /** The process state of a stdio server's live upstream; undefined for other transports or none yet (per instance). */
  stdioState(serverKey: string): StdioState | undefined;
  /** Closes the upstreams of servers no longer defined (stops their processes, ends their pools). */
  retain(servers: readonly ServerDefinition[]): Promise<void>;
  closeAll(): Promise<void>;
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
  } = {},
): UpstreamRegistry {
  const reaper = createChildReaper();
  const silent: ProcessLog = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
  };
  const upstreams = new Map<
    string,
    {
      upstream: Upstream;
      fingerprint: string;
      definition: ServerDefinition;
      state?: () => StdioState;
    }
  >();
  return {
    get(server) {
      const key = `${server.workspaceId}/${server.id}`;
      // Definitions are immutable and replaced whole on reload: the same object needs no comparison.
      const existing = upstreams.get(key);
      if (existing?.definition === server) return existing.upstream;
      const fingerprint = JSON.stringify([
        server.transport,
        server.url,
        server.command,
        server.args,
        server.cwd,
        server.env,
        server.upstreamAuth,
      ]);
      if (existing?.fingerprint === fingerprint) {
        existing.definition = server;
        return existing.upstream;
      }
      if (existing) void existing.upstream.close().catch(() => undefined);
      let upstream: Upstream;
      let state: (() => StdioState) | undefined;
      if (server.transport === 'http' && server.url !== null)
        upstream = createStreamableHttpUpstream(key, server.url, guard, {
          headers: openUpstreamHeaders(options.vault, server),
        });
      else if (server.transport === 'sse' && server.url !== null)
        upstream = createLegacySseUpstream(key, server.url, guard, {
          log: options.log,
          headers: openUpstreamHeaders(options.vault, server),
        });
      else if (server.transport === 'stdio' && server.command !== null) {
        const stdio = createStdioUpstream(
          key,
          {
            command: server.command,
            args: server.args,
            env: server.env,
            cwd: server.cwd ?? undefined,
          },
          {
            log: options.log ?? silent,
            reaper,
            baseEnv: options.baseEnv ?? {},
            vault: options.vault,
            options: options.stdio,
          },
        );
        upstream = stdio;
        state = () => stdio.state();
      } else
        throw new GatewayError(
          'unsupported_transport',
          `Transport "${server.transport}" is not served by this build yet.`,
        );
      upstreams.set(key, { upstream, fingerprint, definition: server, state });
      return upstream;
    },
    find: (serverKey) => upstreams.get(serverKey)?.upstream,
    stdioState: (serverKey) => upstreams.get(serverKey)?.state?.(),
    async retain(servers) {
      const defined = new Set(servers.map((server) => `${server.workspaceId}/${server.id}`));
      const gone = [...upstreams].filter(([key]) => !defined.has(key));
      for (const [key] of gone) upstreams.delete(key);
      await Promise.allSettled(gone.map(([, entry]) => entry.upstream.close()));
    },
    async closeAll() {
      const all = [...upstreams.values()];
      upstreams.clear();
      await Promise.allSettled(all.map((entry) => entry.upstream.close()));
    },
  };
}
