/**
 * `server/discover` (2026-07-28 server/discover) answered for a legacy-only
 * upstream from the InitializeResult of the gateway's upstream session:
 * the same capabilities, identity and instructions, offered at the one
 * version the bridge speaks downstream.
 *
 * 2025-11-25 experimental tasks are left out: tasks moved to an extension
 * in 2026-07-28 and the bridge does not translate them.
 */
import { MODERN_VERSION } from '../../session/protocol-version.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject } from '../json-rpc.ts';
import { toModernResult } from './modern-response.ts';

export function discoverFromInitialize(initialize: JsonObject): JsonObject {
  const { tasks, ...capabilities } = isObject(initialize.capabilities)
    ? initialize.capabilities
    : {};
  void tasks;
  const result: JsonObject = { supportedVersions: [MODERN_VERSION], capabilities };
  if (typeof initialize.instructions === 'string') result.instructions = initialize.instructions;
  return toModernResult('server/discover', result, initialize.serverInfo);
}
