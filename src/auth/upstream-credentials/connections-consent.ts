/**
 * Chaining the upstream account into the gateway's own sign-in (DESIGN "What
 * a user does", step 4): when a member approves a client for a per_user
 * OAuth server they have no connection to, the same browser trip goes
 * through the upstream's consent first and comes back to finish the
 * gateway's.
 *
 * The way back (`/interaction/<uid>/upstream-connected`) finishes a consent,
 * so it carries a proof, sealed by the vault, that this member approved this
 * interaction: a link planted by someone else finishes nothing.
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { InteractionView } from '../sign-in/interactions-port.ts';
import type { ConnectionsFlow } from './connections-flow.ts';
import type { Vault } from './vault.ts';

const PROOF_PURPOSE = 'interaction-upstream-consent';
const PROOF_TTL_MS = 15 * 60_000;

export interface ConsentDetour {
  /**
   * The upstream authorize URL the browser visits before the consent of
   * `view` finishes, or undefined when every per_user server it names is
   * connected (or cannot be connected now: the call will say so later).
   */
  next(view: InteractionView, userId: string): Promise<string | undefined>;
  /** Whether `proof` says `userId` approved interaction `uid`, recently. */
  verifyProof(proof: string | undefined, uid: string, userId: string): boolean;
}

export function createConsentDetour(deps: {
  store: Store;
  vault: Vault;
  flow: ConnectionsFlow;
  logger: Logger;
  now?: () => number;
}): ConsentDetour {
  const now = deps.now ?? Date.now;
  return {
    async next(view, userId) {
      for (const resource of view.resources) {
        const server = await deps.store.servers.find(resource.workspaceId, resource.serverId);
        if (server?.upstreamAuth.mode !== 'oauth' || server.upstreamAuth.oauth.grant !== 'per_user')
          continue;
        const connection = await deps.store.upstreamConnections.find(
          server.workspaceId,
          server.id,
          userId,
        );
        if (connection?.status === 'connected') continue;
        const proof = deps.vault.seal(
          PROOF_PURPOSE,
          JSON.stringify({ uid: view.uid, userId, until: now() + PROOF_TTL_MS }),
        );
        const back = `/interaction/${encodeURIComponent(view.uid)}/upstream-connected?proof=${encodeURIComponent(proof)}`;
        try {
          return await deps.flow.start(server, userId, back);
        } catch (error) {
          // An upstream that cannot be reached now must not block signing in to the gateway.
          deps.logger.warn(
            { err: error, server: `${server.workspaceId}/${server.id}` },
            'upstream authorization could not start during sign-in',
          );
        }
      }
      return undefined;
    },
    verifyProof(proof, uid, userId) {
      if (proof === undefined || proof === '') return false;
      try {
        const claims = JSON.parse(deps.vault.open(PROOF_PURPOSE, proof)) as {
          uid?: unknown;
          userId?: unknown;
          until?: unknown;
        };
        return (
          claims.uid === uid &&
          claims.userId === userId &&
          typeof claims.until === 'number' &&
          claims.until > now()
        );
      } catch {
        return false;
      }
    },
  };
}
