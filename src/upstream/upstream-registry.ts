/**
 * One Upstream per server definition, created on first use and replaced when
 * the definition's endpoint changes, so connection pools live as long as the
 * server does.
 */
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import { createLegacySseUpstream } from './legacy-sse.ts';
import type { UpstreamLog } from './legacy-sse-router.ts';
import type { AddressGuard } from './ssrf-guard.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';
import type { Upstream } from './upstream.ts';

export interface UpstreamRegistry {
  get(server: ServerDefinition): Upstream;
  /** The live upstream of `<workspace>/<server>`, if one was created. */
  find(serverKey: string): Upstream | undefined;
  closeAll(): Promise<void>;
}

export function createUpstreamRegistry(
  guard: AddressGuard,
  options: { log?: UpstreamLog } = {},
): UpstreamRegistry {
  const upstreams = new Map<string, { upstream: Upstream; fingerprint: string }>();
  return {
    get(server) {
      const key = `${server.workspaceId}/${server.id}`;
      const fingerprint = `${server.transport}|${server.url ?? ''}`;
      const existing = upstreams.get(key);
      if (existing?.fingerprint === fingerprint) return existing.upstream;
      if (existing) void existing.upstream.close().catch(() => undefined);
      let upstream: Upstream;
      if (server.transport === 'http' && server.url !== null)
        upstream = createStreamableHttpUpstream(key, server.url, guard);
      else if (server.transport === 'sse' && server.url !== null)
        upstream = createLegacySseUpstream(key, server.url, guard, { log: options.log });
      else
        throw new GatewayError(
          'unsupported_transport',
          `Transport "${server.transport}" is not served by this build yet.`,
        );
      upstreams.set(key, { upstream, fingerprint });
      return upstream;
    },
    find: (serverKey) => upstreams.get(serverKey)?.upstream,
    async closeAll() {
      const all = [...upstreams.values()];
      upstreams.clear();
      await Promise.allSettled(all.map((entry) => entry.upstream.close()));
    },
  };
}
