import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Connections } from '../auth/upstream-credentials/connections.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import type { Store } from '../store/store.ts';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import type { MemberProcessState, UpstreamRegistry } from '../upstream/upstream-registry.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Principal } from '../auth/resource/principal.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { SessionLookup } from './authenticate-api-caller.ts';
import type { SignIn } from '../auth/sign-in/sign-in.ts';
import type { UsageCounters } from '../policy/usage-limits-counters.ts';

/** What the admin API needs from the composition root. */
export interface AdminDeps {
  readonly config: Pick<RuntimeConfig, 'publicUrl' | 'upstreamTimeoutMs'>;
  readonly store: Store;
  /**
   * The audit log. The routes get `store` already watched by it (admin-api.ts):
   * writes of audited verbs are recorded with the caller as actor. Record other
   * changes with `audit.record(…, tx)`.
   */
  readonly audit: AuditLog;
  /** Browser sessions, and the throttled password check (a password change proves the current one). */
  readonly signIn: SessionLookup & Pick<SignIn, 'checkPassword'>;
  readonly logger: Logger;
  /** Re-reads API keys and member access wherever credentials are checked (the gateway's reload). */
  readonly onCredentialsChanged: () => Promise<void>;
  /** Told about each OAuth grant revoked here, so live tokens issued under it stop working. */
  readonly onGrantRevoked?: (grantId: string) => void;
  readonly now?: () => Date;
  /** This instance's process state of a stdio server (`<workspace>/<server>`), if its upstream exists here. */
  readonly serverStatus?: (serverKey: string) => StdioState | undefined;
  /** This instance's per-member processes of servers with member secrets (`<workspace>/<server>`). */
  readonly memberProcesses?: {
    states(serverKey: string): MemberProcessState[];
    /** Stops one member's process so their next call starts one with their current secrets. */
    restart(serverKey: string, userId: string): Promise<void>;
  };
  /** Told about each policy change made here (src/policy/policy-source.ts): applies it and tells clients. */
  readonly policies?: {
    changed(
      workspaceId: string,
      serverId: string,
      kinds?: readonly ('tools' | 'resources' | 'prompts')[],
    ): void;
  };
  /**
   * Live upstream access for the test-connection and capabilities routes
   * (server-probe-routes.ts); absent: those routes answer 503.
   */
  readonly upstreamProbe?: {
    /** A throwaway registry for a definition not saved: its own pools and processes, closed after use. */
    scratch(): Pick<UpstreamRegistry, 'get' | 'closeAll'>;
    /** The live upstream of a saved server as `principal` calls it (identity forwarding, upstream OAuth). */
    live(server: ServerDefinition, principal: Principal): Upstream;
  };
  /** Upstream OAuth connections (connect, disconnect, status); absent: no connection routes. */
  readonly connections?: Pick<Connections, 'flow' | 'context'>;
  /** The usage counters enforcement consumes, read for the limits' current counts; absent: 503. */
  readonly usageCounters?: Pick<UsageCounters, 'read'>;
  /** Seals upstream header values sent with server definitions (`upstream_auth`). */
  /** Seals secrets written through the API (server environments, header values). */
  readonly vault: Vault;
}
