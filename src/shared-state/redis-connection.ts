/**
 * The Redis connections of one instance: a command client and a subscriber
 * (a connection in subscribe mode accepts no other commands), each created
 * and connected on first use and closed by close().
 *
 * Failure is bounded, never a hang: commands are refused while the
 * connection is down (no offline queue) and time out after a few seconds,
 * and the first connect gives up after the connect timeout. The client keeps
 * reconnecting in the background so the instance recovers when Redis does,
 * and tells onRestored listeners: what happened meanwhile (notices sent,
 * writes refused) must be caught up by whoever depends on it.
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';
import { GatewayError } from '../shared/errors.ts';

function newClient(url: string, timeoutMs: number) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
    socket: {
      connectTimeout: timeoutMs,
      // Back off up to 1 s between attempts; commands fail fast meanwhile.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 5), 1_000),
    },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

export interface RedisConnection {
  readonly url: string;
  /** The command client, connected. */
  client(): Promise<RedisClient>;
  /**
   * Runs commands on the command client within the timeout; any failure
   * (unreachable, refused, too slow) is a `shared_state_unavailable` saying `what` failed.
   * A command that timed out may still run if Redis wakes up: callers treat
   * the failure as "unknown", never as "not done".
   */
  run<T>(what: string, command: (client: RedisClient) => Promise<T>): Promise<T>;
  /** The same on the subscriber client (SUBSCRIBE, UNSUBSCRIBE). */
  runSubscriber<T>(what: string, command: (client: RedisClient) => Promise<T>): Promise<T>;
  /** The subscriber client (pub/sub mode only), connected. */
  subscriber(): Promise<RedisClient>;
  /**
   * Calls `listener` each time a connection lost after its first connect is
   * ready again (once per connection); the result stops it.
   */
  onRestored(listener: () => void): () => void;
  /** True once close() was called: the clients are going or gone. */
  isClosed(): boolean;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  url: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Bound on one command and on the first connect, in milliseconds. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;

/** Redacts the password of a redis:// URL for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(invalid)';
  }
}

export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = redactRedisUrl(options.url);
  const opened: RedisClient[] = [];
  const restored = new Set<() => void>();
  let closed = false;

  const open = (role: string): (() => Promise<RedisClient>) => {
    let ready: Promise<RedisClient> | undefined;
    return () => {
      if (closed) return Promise.reject(new GatewayError('shared_state_unavailable', 'Closed.'));
      ready ??= connect(role).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      return ready;
    };
  };

  const connect = async (role: string): Promise<RedisClient> => {
    let down = false;
    const client = newClient(options.url, timeoutMs);
    // node-redis throws unhandled 'error' events; log the first of each outage.
    client.on('error', (error: Error) => {
      if (down) return;
      down = true;
      options.logger.warn({ redis: where, role, err: error.message }, 'redis connection lost');
    });
    client.on('ready', () => {
      if (!down) return;
      down = false;
      options.logger.info({ redis: where, role }, 'redis connection restored');
      for (const listener of [...restored]) {
        try {
          listener();
        } catch (error) {
          options.logger.warn({ err: (error as Error).message }, 'redis restore listener failed');
        }
      }
    });
    let timer: NodeJS.Timeout | undefined;
    let refused: ((error: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new GatewayError('shared_state_unavailable', `Redis at ${where} did not answer in time.`),
        );
      }, timeoutMs);
      // The first connect fails at the first error instead of retrying until the timeout.
      refused = reject;
      client.once('error', refused);
    });
    try {
      await Promise.race([client.connect(), failed]);
    } catch (error) {
      client.destroy();
      if (error instanceof GatewayError) throw error;
      throw new GatewayError(
        'shared_state_unavailable',
        `Redis at ${where} is unreachable: ${(error as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
      if (refused !== undefined) client.off('error', refused);
    }
    if (closed) {
      client.destroy();
      throw new GatewayError('shared_state_unavailable', 'Closed.');
    }
    opened.push(client);
    return client;
  };

  const client = open('commands');
  const subscriber = open('subscriber');
  const bounded = async <T>(
    which: () => Promise<RedisClient>,
    what: string,
    command: (client: RedisClient) => Promise<T>,
  ): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    // A frozen Redis accepts writes and never answers: bound the wait here too.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([which().then(command), late]);
    } catch (error) {
      throw new GatewayError('shared_state_unavailable', `${what}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    url: options.url,
    client,
    run: (what, command) => bounded(client, what, command),
    subscriber,
    runSubscriber: (what, command) => bounded(subscriber, what, command),
    onRestored(listener) {
      restored.add(listener);
      return () => void restored.delete(listener);
    },
    isClosed: () => closed,
    async close() {
      closed = true;
      await Promise.all(
        opened.splice(0).map(async (client) => {
          // A graceful close waits for pending replies: a frozen Redis would hold shutdown.
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
          try {
            await Promise.race([client.close(), late]);
          } catch {
            // Destroyed below.
          } finally {
            clearTimeout(timer);
          }
          // Also stops a client that is still reconnecting.
          try {
            client.destroy();
          } catch {
            // Already closed.
          }
        }),
      );
    },
  };
}
