/**
 * Legacy session revocations shared by every instance. `isRevoked` runs on
 * every request of a session and stays a synchronous lookup in a local copy;
 * the copy is kept current by a notice per revocation and re-read from a
 * Redis sorted set (tag scored by expiry) at start and now and then, which
 * also catches notices missed while Redis was unreachable; a restored
 * connection re-reads at once.
 *
 * A revocation made while Redis is unreachable holds on this instance at
 * once and is kept as unsent: every re-read first stores and announces the
 * unsent ones, so the other instances refuse the session once Redis is back
 * (a client told its session ended must not find it alive elsewhere).
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
  const unsent = new Map<string, number>();

  const share = async (tag: string, expiresAt: number): Promise<void> => {
    await redis.run('A session revocation could not be stored', (client) =>
      client.zAdd(setKey, { score: expiresAt, value: tag }),
    );
    await shared.notices.publish(REVOCATION_CHANNEL, `${expiresAt} ${tag}`);
  };

  const resync = async (): Promise<void> => {
    for (const [tag, expiresAt] of unsent) {
      if (expiresAt > Date.now() / 1000) await share(tag, expiresAt);
      unsent.delete(tag);
    }
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
  const resyncLogged = (): void => {
    resync().catch((error: unknown) =>
      logger.warn({ err: (error as Error).message }, 'could not re-read session revocations'),
    );
  };
  const timer = setInterval(resyncLogged, options.resyncMs ?? RESYNC_MS);
  timer.unref();
  const stopRestored = shared.notices.onRestored?.(resyncLogged);

  return {
    isRevoked: (tag) => local.isRevoked(tag),
    async revoke(tag, expiresAt) {
      local.revoke(tag, expiresAt);
      try {
        await share(tag, expiresAt);
      } catch (error) {
        unsent.set(tag, expiresAt);
        logger.warn(
          { err: (error as Error).message },
          'session revoked on this instance only until the shared state is reachable again',
        );
      }
    },
    async close() {
      stopRestored?.();
      clearInterval(timer);
      await stop();
    },
  };
}
