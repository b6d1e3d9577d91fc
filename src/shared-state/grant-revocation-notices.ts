/**
 * OAuth grant revocations told to every instance, so the access tokens of a
 * revoked (or narrowed) grant stop working everywhere at once rather than
 * when another instance's token cache next re-reads the grant (a few
 * seconds, src/auth/resource/access-tokens.ts). The notice says "look
 * again": a listener forgets the grant's cached tokens, which are then
 * checked against the stored grant on their next use.
 *
 * At most once, like every notice: an instance that misses one (Redis
 * unreachable) still refuses the tokens at its next grant re-check.
 */
import type { Logger } from 'pino';
import type { NoticeBus } from './notice-bus.ts';

export const GRANT_REVOKED_CHANNEL = 'grant-revoked';

export interface GrantRevocationNotices {
  /** Forgets the grant on this instance now, then tells the others. */
  announce(grantId: string): void;
  close(): Promise<void>;
}

export async function createGrantRevocationNotices(
  bus: NoticeBus,
  forget: (grantId: string) => void,
  logger: Pick<Logger, 'warn'>,
): Promise<GrantRevocationNotices> {
  const stop = await bus.subscribe(GRANT_REVOKED_CHANNEL, (grantId) => forget(grantId));
  return {
    announce(grantId) {
      forget(grantId);
      bus
        .publish(GRANT_REVOKED_CHANNEL, grantId)
        .catch((error: unknown) =>
          logger.warn(
            { err: (error as Error).message, grantId },
            'grant revoked; other instances refuse its tokens at their next re-check only: the shared state is unreachable',
          ),
        );
    },
    close: () => stop(),
  };
}
