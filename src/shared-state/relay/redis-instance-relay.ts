/**
 * The instance relay on Redis: owned keys are strings with a TTL holding
 * the owner's id, claimed with GETDEL (atomic: one caller gets the owner,
 * every other gets nil); messages go by PUBLISH on the owner's channel,
 * whose receiver count tells whether that instance is still there.
 */
import type { RedisConnection } from '../redis-connection.ts';
import { createTopics, newInstanceId } from './instance-relay.ts';
import type { InstanceRelay } from './instance-relay.ts';

interface Envelope {
  t: string;
  p: unknown;
}

function parseEnvelope(raw: string): Envelope | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as Envelope).t === 'string')
      return value as Envelope;
  } catch {
    /* not ours */
  }
  return undefined;
}

/**
 * Subscribes to this instance's channel before resolving, so that every
 * key it owns afterwards can be answered.
 */
export async function createRedisInstanceRelay(
  connection: RedisConnection,
  options: { keyPrefix: string; instanceId?: string },
): Promise<InstanceRelay> {
  const instanceId = options.instanceId ?? newInstanceId();
  const ownerPrefix = `${options.keyPrefix}relay:owner:`;
  const channelPrefix = `${options.keyPrefix}relay:instance:`;
  const topics = createTopics();
  const channel = channelPrefix + instanceId;
  const listener = (raw: string): void => {
    const envelope = parseEnvelope(raw);
    if (envelope !== undefined) topics.dispatch(envelope.t, envelope.p);
  };
  const subscriber = await connection.subscriber();
  await subscriber.subscribe(channel, listener);
  let closed = false;
  return {
    instanceId,
    async own(key, ttlMs) {
      const client = await connection.client();
      await client.set(ownerPrefix + key, instanceId, {
        expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
      });
    },
    async claim(key) {
      const client = await connection.client();
      const owner = await client.getDel(ownerPrefix + key);
      return typeof owner === 'string' ? owner : undefined;
    },
    async send(to, topic, payload) {
      const client = await connection.client();
      const receivers = await client.publish(
        channelPrefix + to,
        JSON.stringify({ t: topic, p: payload } satisfies Envelope),
      );
      return receivers > 0;
    },
    on: topics.on,
    async close() {
      if (closed) return;
      closed = true;
      await subscriber.unsubscribe(channel, listener).catch(() => undefined);
    },
  };
}
