/**
 * One Upstream per server definition, created on first use and replaced when
 * the definition's endpoint changes, so connection pools live as long as the
 * server does.
 */
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { AddressGuard } from './ssrf-guard.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';
import type { Upstream } from './upstream.ts';

export interface UpstreamRegistry {
  get(server: ServerDefinition): Upstream;
  /** The live upstream of `<workspace>/<server>`, if one was created. */
  find(serverKey: string): Upstream | undefined;
  closeAll(): Promise<void>;
}

export function createUpstreamRegistry(guard: AddressGuard): UpstreamRegistry {
  const upstreams = new Map<string, { upstream: Upstream; fingerprint: string }>();
  return {
    get(server) {
      const key = `${server.workspaceId}/${server.id}`;
      const fingerprint = `${server.transport}|${server.url ?? ''}`;
      const existing = upstreams.get(key);
      if (existing?.fingerprint === fingerprint) return existing.upstream;
      if (existing) void existing.upstream.close().catch(() => undefined);
      if (server.transport !== 'http' || server.url === null) {
        throw new GatewayError(
          'unsupported_transport',
          `Transport "${server.transport}" is not served by this build yet.`,
        );
      }
      const upstream = createStreamableHttpUpstream(key, server.url, guard);
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
