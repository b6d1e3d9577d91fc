/**
 * A legacy `initialize` answered for a modern-only upstream from its
 * `server/discover` result: the negotiated legacy version, the upstream's
 * capabilities, identity and instructions.
 *
 * `logging` is kept as the upstream declares it: the gateway records the
 * client's `logging/setLevel` and sends it upstream as the per-request
 * `logLevel` (2026-07-28 removed the method, not the capability).
 */
import { META } from '../../session/protocol-version.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject } from '../json-rpc.ts';

export function initializeFromDiscover(discover: JsonObject, protocolVersion: string): JsonObject {
  const meta = isObject(discover._meta) ? discover._meta : {};
  const serverInfo = isObject(meta[META.serverInfo])
    ? meta[META.serverInfo]
    : { name: 'unknown', version: '0.0.0' };
  const result: JsonObject = {
    protocolVersion,
    capabilities: isObject(discover.capabilities) ? discover.capabilities : {},
    serverInfo,
  };
  if (typeof discover.instructions === 'string') result.instructions = discover.instructions;
  return result;
}
