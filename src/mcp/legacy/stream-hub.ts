/**
 * One upstream standalone GET stream per upstream session on this instance,
 * shared by every downstream session bound to that upstream session.
 *
 * Upstreams allow one standalone stream per session, and several downstream
 * sessions may share an upstream session. Notifications go to every attached
 * downstream stream (each is its own logical session); a server→client
 * request goes to exactly one; replayed responses go to the session whose
 * id namespace they carry.
 */
import type { StreamedMessage } from '../../upstream/upstream.ts';

export interface HubSubscriber {
  /** Receives the stream's messages; `null` messages are priming events. */
  deliver(item: StreamedMessage): void;
  /** The upstream stream ended or failed. */
  closed(error?: unknown): void;
  /** Whether a server→client request or a response may go to this subscriber. */
  accepts(item: StreamedMessage): boolean;
}

export interface StreamHub {
  /**
   * Attaches a subscriber to the upstream stream of `key`, opening it with
   * `open` when this is the first. Returns a detach function.
   */
  attach(
    key: string,
    subscriber: HubSubscriber,
    open: (signal: AbortSignal) => Promise<AsyncIterable<StreamedMessage> | null>,
  ): Promise<(() => void) | null>;
  size(): number;
  closeAll(): void;
}

interface Channel {
  subscribers: Set<HubSubscriber>;
  controller: AbortController;
  ready: Promise<boolean>;
}

export function createStreamHub(): StreamHub {
  const channels = new Map<string, Channel>();

  const pump = async (
    key: string,
    channel: Channel,
    stream: AsyncIterable<StreamedMessage>,
  ): Promise<void> => {
    let failure: unknown;
    try {
      for await (const item of stream) {
        const message = item.message;
        if (message !== null && 'id' in message && message.id !== undefined) {
          for (const subscriber of channel.subscribers) {
            if (subscriber.accepts(item)) {
              subscriber.deliver(item);
              break;
            }
          }
        } else {
          for (const subscriber of channel.subscribers) subscriber.deliver(item);
        }
      }
    } catch (error) {
      failure = error;
    } finally {
      if (channels.get(key) === channel) channels.delete(key);
      for (const subscriber of channel.subscribers)
        subscriber.closed(channel.controller.signal.aborted ? undefined : failure);
      channel.subscribers.clear();
    }
  };

  return {
    async attach(key, subscriber, open) {
      let channel = channels.get(key);
      if (channel === undefined) {
        const controller = new AbortController();
        const created: Channel = {
          subscribers: new Set(),
          controller,
          ready: Promise.resolve(false),
        };
        created.ready = open(controller.signal).then(
          (stream) => {
            if (stream === null) {
              channels.delete(key);
              return false;
            }
            void pump(key, created, stream);
            return true;
          },
          (error: unknown) => {
            channels.delete(key);
            throw error;
          },
        );
        channels.set(key, created);
        channel = created;
      }
      const live = channel;
      if (!(await live.ready)) return null;
      live.subscribers.add(subscriber);
      // The upstream stream may have ended while this subscriber waited for it.
      if (channels.get(key) !== live) {
        live.subscribers.delete(subscriber);
        subscriber.closed();
        return () => undefined;
      }
      return () => {
        live.subscribers.delete(subscriber);
        if (live.subscribers.size === 0) {
          if (channels.get(key) === live) channels.delete(key);
          live.controller.abort();
        }
      };
    },
    size: () => channels.size,
    closeAll() {
      for (const channel of channels.values()) channel.controller.abort();
      channels.clear();
    },
  };
}
