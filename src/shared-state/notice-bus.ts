/**
 * Notices between instances: a change made on one instance (a policy saved,
 * a server edited) is announced on a channel, and every instance subscribed
 * to it, the publisher included, gets the payload. Delivery is at most once
 * and only to instances connected at the time (Redis pub/sub semantics), so
 * a notice says "look again", never carries state that must not be lost;
 * an instance whose connection comes back looks again by itself (onRestored).
 */
import type { Logger } from 'pino';
import type { RedisConnection } from './redis-connection.ts';

export type NoticeHandler = (payload: string) => void;

export interface NoticeBus {
  /** Sends a notice to every subscriber of `channel` on every instance. */
  publish(channel: string, payload: string): Promise<void>;
  /** Resolves once the subscription is active; the result stops it. */
  subscribe(channel: string, handler: NoticeHandler): Promise<() => Promise<void>>;
  /**
   * Calls `listener` each time the connection to the other instances comes
   * back after an outage: notices published meanwhile, here or there, were
   * lost. Absent when notices cannot be lost (one instance).
   */
  onRestored?(listener: () => void): () => void;
}

type Log = Pick<Logger, 'warn'>;

function guarded(handler: NoticeHandler, channel: string, logger: Log): NoticeHandler {
  return (payload) => {
    try {
      handler(payload);
    } catch (error) {
      logger.warn({ channel, err: (error as Error).message }, 'notice handler failed');
    }
  };
}

/** One instance: notices go to the handlers of this process, after the publisher's turn. */
export function createMemoryNoticeBus(logger: Log): NoticeBus {
  const handlers = new Map<string, Set<NoticeHandler>>();
  return {
    async publish(channel, payload) {
      const set = handlers.get(channel);
      if (set === undefined) return;
      for (const handler of [...set]) queueMicrotask(() => handler(payload));
    },
    async subscribe(channel, handler) {
      const wrapped = guarded(handler, channel, logger);
      let set = handlers.get(channel);
      if (set === undefined) handlers.set(channel, (set = new Set()));
      set.add(wrapped);
      return async () => {
        set.delete(wrapped);
        if (set.size === 0 && handlers.get(channel) === set) handlers.delete(channel);
      };
    },
  };
}

/** Several instances: Redis PUBLISH/SUBSCRIBE under the key prefix. */
export function createRedisNoticeBus(
  redis: RedisConnection,
  prefix: string,
  logger: Log,
): NoticeBus {
  const name = (channel: string): string => `${prefix}notice:${channel}`;
  return {
    async publish(channel, payload) {
      await redis.run('A notice could not be published', (client) =>
        client.publish(name(channel), payload),
      );
    },
    async subscribe(channel, handler) {
      const wrapped = guarded(handler, channel, logger);
      const listener = (message: string): void => wrapped(message);
      await redis.runSubscriber('A notice channel could not be joined', (subscriber) =>
        subscriber.subscribe(name(channel), listener),
      );
      return async () => {
        // A closed connection has no subscription left to drop (and would never answer).
        if (redis.isClosed()) return;
        await redis
          .runSubscriber('A notice channel could not be left', async (subscriber) => {
            if (subscriber.isReady) await subscriber.unsubscribe(name(channel), listener);
          })
          .catch(() => undefined);
      };
    },
    onRestored: (listener) => redis.onRestored(listener),
  };
}
