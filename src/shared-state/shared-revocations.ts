/**
 * Legacy session revocations shared by every instance. `isRevoked` runs on
 * every request of a session and stays a synchronous lookup in a local copy;
 * the copy is kept current by a notice per revocation and re-read from a
 * Redis sorted set (tag scored by expiry) at start and now and then, which
 * also catches notices missed while Redis was unreachable.
 *
 * A revocation made while Redis is unreachable holds on this instance only
 * (logged); the periodic re-read cannot recover it, since it never reached
 * Redis. Sessions expire on their own (PORTCULLIS_SESSION_TTL_SECONDS).
 */
import type { Logger } from 'pino';
import { createMemoryRevocations, type SessionRevocations } from '../session/legacy-session.ts';
import type { SharedState } from './shared-state.ts';

export interface SharedRevocations extends SessionRevocations {
  close(): Promise<void>;
}

export const REVOCATION_CHANNEL = 'session-revoked';
const RESYNC_MS = 30_000;

export async function createSharedRevocations(
  shared: SharedState,
  logger: Pick<Logger, 'warn'>,
  options: { resyncMs?: number } = {},
): Promise<SharedRevocations> {
  const local = createMemoryRevocations();
  const redis = shared.redis;
  if (redis === undefined) return { ...local, close: async () => undefined };
  const setKey = `${shared.keyPrefix}revoked-sessions`;

  const resync = async (): Promise<void> => {
    const nowSeconds = Date.now() / 1000;
    const entries = await redis.run('Session revocations could not be read', async (client) => {
      await client.zRemRangeByScore(setKey, '-inf', nowSeconds);
      return client.zRangeByScoreWithScores(setKey, nowSeconds, '+inf');
    });
    for (const { value, score } of entries) local.revoke(value, score);
  };

  const stop = await shared.notices.subscribe(REVOCATION_CHANNEL, (payload) => {
    const space = payload.indexOf(' ');
    const expiresAt = Number(payload.slice(0, space));
    if (space > 0 && Number.isFinite(expiresAt)) local.revoke(payload.slice(space + 1), expiresAt);
  });
  await resync();
  const timer = setInterval(() => {
    resync().catch((error: unknown) =>
      logger.warn({ err: (error as Error).message }, 'could not re-read session revocations'),
    );
  }, options.resyncMs ?? RESYNC_MS);
  timer.unref();

  return {
    isRevoked: (tag) => local.isRevoked(tag),
    async revoke(tag, expiresAt) {
      local.revoke(tag, expiresAt);
      try {
        await redis.run('A session revocation could not be stored', (client) =>
          client.zAdd(setKey, { score: expiresAt, value: tag }),
        );
        await shared.notices.publish(REVOCATION_CHANNEL, `${expiresAt} ${tag}`);
      } catch (error) {
        logger.warn(
          { err: (error as Error).message },
          'session revoked on this instance only: the shared state is unreachable',
        );
      }
    },
    async close() {
      clearInterval(timer);
      await stop();
    },
  };
}
