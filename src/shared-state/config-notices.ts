/**
 * Configuration change notices (DESIGN "Scale-out model": every instance
 * applies an admin change within a second). The instance that made the
 * change reloads at once and announces it; every other instance reloads on
 * the notice. Reloads triggered while one runs are folded into one more.
 *
 * Notices are at most once, so an outage is caught up when Redis is back:
 * every instance reloads when its connection is restored (it may have missed
 * notices), and an instance whose announcement failed announces again (for
 * instances that never lost Redis). Without that, an API key revoked or a
 * member removed during the outage stayed usable on the other instances
 * until their restart.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { NoticeBus } from './notice-bus.ts';

export const CONFIG_CHANNEL = 'config-changed';

export interface ConfigNotices {
  /** Reloads this instance, then tells the others (the admin API's onCredentialsChanged). */
  changed(): Promise<void>;
  close(): Promise<void>;
}

export async function createConfigNotices(
  bus: NoticeBus,
  reload: () => Promise<void>,
  logger: Pick<Logger, 'warn'>,
): Promise<ConfigNotices> {
  const self = crypto.randomUUID();
  let running: Promise<void> | undefined;
  let again = false;
  let unannounced = false;

  const reloadSoon = (): void => {
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await reload();
        } catch (error) {
          logger.warn(
            { err: (error as Error).message },
            'reload after a configuration notice failed',
          );
        }
      } while (again);
    })().finally(() => (running = undefined));
  };

  const announce = async (): Promise<void> => {
    try {
      unannounced = false;
      await bus.publish(CONFIG_CHANNEL, self);
    } catch (error) {
      unannounced = true;
      logger.warn(
        { err: (error as Error).message },
        'configuration change applied on this instance only until the shared state is reachable again',
      );
    }
  };

  const stop = await bus.subscribe(CONFIG_CHANNEL, (from) => {
    if (from !== self) reloadSoon();
  });
  const stopRestored = bus.onRestored?.(() => {
    reloadSoon();
    if (unannounced) void announce();
  });

  return {
    async changed() {
      await reload();
      await announce();
    },
    async close() {
      stopRestored?.();
      await stop();
      await running;
    },
  };
}
