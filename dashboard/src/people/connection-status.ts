/** How an upstream connection's state reads, and what the member can do about it. */
export type ConnectionStatus = 'connected' | 'broken' | 'not_connected';

export interface StatusLook {
  label: string;
  /** A badge class of styles.css. */
  badge: 'ok' | 'error' | 'warn';
  /** The action the connect link offers. */
  action: 'Connect' | 'Reconnect';
}

export function connectionLook(status: ConnectionStatus): StatusLook {
  switch (status) {
    case 'connected':
      return { label: 'Connected', badge: 'ok', action: 'Reconnect' };
    case 'broken':
      return { label: 'Broken', badge: 'error', action: 'Reconnect' };
    case 'not_connected':
      return { label: 'Not connected', badge: 'warn', action: 'Connect' };
  }
}

/**
 * The browser route that runs the upstream OAuth flow and comes back to
 * `returnTo` (a path on this gateway; the route refuses anything else).
 */
export function connectHref(connectUrl: string, returnTo: string): string {
  const url = new URL(connectUrl);
  url.searchParams.set('return_to', returnTo);
  return url.pathname + url.search;
}
