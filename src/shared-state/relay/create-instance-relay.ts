/**
 * The instance relay for the shared state in use: Redis when the gateway
 * has one (PORTCULLIS_REDIS_URL), this process alone otherwise.
 */
import type { SharedState } from '../shared-state.ts';
import { createMemoryInstanceRelay } from './instance-relay.ts';
import type { InstanceRelay } from './instance-relay.ts';
import { createRedisInstanceRelay } from './redis-instance-relay.ts';

export function createInstanceRelay(
  shared: Pick<SharedState, 'redis' | 'keyPrefix'>,
): Promise<InstanceRelay> {
  return shared.redis === undefined
    ? Promise.resolve(createMemoryInstanceRelay())
    : createRedisInstanceRelay(shared.redis, { keyPrefix: shared.keyPrefix });
}
