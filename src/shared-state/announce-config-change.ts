/**
 * Tells running instances that a process other than a gateway instance
 * (`portcullis apply`) changed the configuration in the shared store. An
 * instance reloads its routing tables on every configuration notice not its
 * own, and drops its cached policy of a server named in a policy notice, so
 * the change applies everywhere within a second (DESIGN "Scale-out model")
 * instead of at the next restart.
 *
 * Without Redis there is no channel to the instances: they re-read policies
 * and usage limits every second on their own, and everything else (servers,
 * members, API keys) at their next start or admin API write.
 */
import crypto from 'node:crypto';
import { ALL_LISTS, POLICY_CHANNEL } from '../policy/policy-notices.ts';
import { CONFIG_CHANNEL } from './config-notices.ts';
import type { NoticeBus } from './notice-bus.ts';

export interface ConfigChange {
  /** `workspace/server` keys whose policy document may have changed. */
  readonly policies: readonly string[];
}

export async function announceConfigChange(bus: NoticeBus, change: ConfigChange): Promise<void> {
  // Not an instance id: every instance takes the notice as another's change.
  const from = `apply:${crypto.randomUUID()}`;
  // Policy notices first: an instance reloading its routes on the config notice then serves the new policy.
  for (const key of change.policies)
    await bus.publish(POLICY_CHANNEL, JSON.stringify({ from, key, kinds: ALL_LISTS }));
  await bus.publish(CONFIG_CHANNEL, from);
}
