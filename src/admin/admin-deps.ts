import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import type { Store } from '../store/store.ts';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import type { SessionLookup } from './authenticate-api-caller.ts';

/** What the admin API needs from the composition root. */
export interface AdminDeps {
  readonly config: Pick<RuntimeConfig, 'publicUrl' | 'upstreamTimeoutMs'>;
  readonly store: Store;
  readonly signIn: SessionLookup;
  readonly logger: Logger;
  /** Re-reads API keys and member access wherever credentials are checked (the gateway's reload). */
  readonly onCredentialsChanged: () => Promise<void>;
  /** Told about each OAuth grant revoked here, so live tokens issued under it stop working. */
  readonly onGrantRevoked?: (grantId: string) => void;
  readonly now?: () => Date;
  /** This instance's process state of a stdio server (`<workspace>/<server>`), if its upstream exists here. */
  readonly serverStatus?: (serverKey: string) => StdioState | undefined;
  /** Seals upstream header values sent with server definitions (`upstream_auth`). */
  /** Seals secrets written through the API (server environments, header values). */
  readonly vault: Vault;
}
