/**
 * DNS-rebinding and cross-origin protection for MCP endpoints (MCP
 * transports: servers MUST validate Origin; a present, invalid Origin gets
 * 403). Requests without Origin (non-browser clients) pass. The Host header
 * must name this gateway, so a rebound DNS name cannot reach a loopback
 * listener.
 */
import { GatewayError } from '../shared/errors.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface OriginGuard {
  /** Throws `origin_not_allowed` for a present, disallowed Origin or a foreign Host. */
  check(origin: string | undefined, host: string | undefined): void;
  /** Whether a browser origin may read responses (CORS). */
  allows(origin: string): boolean;
  /** True when any origin is allowed (warned at start-up). */
  readonly isOpen: boolean;
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  const colon = host.lastIndexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

export function createOriginGuard(publicUrl: string, extraOrigins: readonly string[]): OriginGuard {
  const publicOrigin = new URL(publicUrl).origin;
  const publicHost = new URL(publicUrl).hostname.toLowerCase();
  const isOpen = extraOrigins.includes('*');
  const allowedOrigins = new Set([
    publicOrigin,
    ...extraOrigins.filter((origin) => origin !== '*').map((origin) => origin.replace(/\/+$/, '')),
  ]);

  const allows = (origin: string): boolean => {
    if (isOpen || allowedOrigins.has(origin)) return true;
    try {
      const url = new URL(origin);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        LOOPBACK_HOSTS.has(url.hostname.toLowerCase()) &&
        LOOPBACK_HOSTS.has(publicHost)
      );
    } catch {
      return false;
    }
  };

  return {
    isOpen,
    allows,
    check(origin, host) {
      if (host !== undefined) {
        const name = hostnameOf(host);
        if (name !== publicHost && !LOOPBACK_HOSTS.has(name))
          throw new GatewayError(
            'origin_not_allowed',
            `Forbidden: Host "${host}" is not this gateway.`,
          );
      }
      if (origin !== undefined && origin !== 'null' && !allows(origin)) {
        throw new GatewayError(
          'origin_not_allowed',
          `Forbidden: Origin "${origin}" is not allowed.`,
        );
      }
      if (origin === 'null')
        throw new GatewayError(
          'origin_not_allowed',
          'Forbidden: opaque Origin "null" is not allowed.',
        );
    },
  };
}
