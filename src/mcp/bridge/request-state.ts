/**
 * The `requestState` the gateway hands a 2026-07-28 client when a legacy
 * upstream pushed a server→client request (MRTR, basic/patterns/mrtr).
 *
 * It names a held upstream call (whose id names the instance holding it,
 * held-calls.ts) and the round it is in.
 * The client controls what it echoes, so the state is sealed (AEAD) and
 * bound to the principal, the server, an expiry and a digest of the
 * request it belongs to (mrtr "Server Requirements" 4–5): presented by
 * anyone else, for another request, late, or modified, it does not open.
 */
import crypto from 'node:crypto';
import type { SealedBox } from '../../session/sealed-box.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject, JsonRpcRequest } from '../json-rpc.ts';

const PURPOSE = 'mcp-bridge-request-state';

export interface RequestStateBinding {
  /** Principal, workspace and server the state was issued to. */
  pid: string;
  ws: string;
  srv: string;
  /** Digest of the request's method and parameters (see requestDigest). */
  digest: string;
}

export interface RequestStateClaim {
  /** The held call, `<instance>.<random>` when instances share a relay. */
  call: string;
  /** The round the client answers. */
  round: number;
}

interface Sealed extends RequestStateBinding, RequestStateClaim {
  v: 1;
  exp: number;
}

export interface RequestStateSeal {
  seal(claim: RequestStateClaim, binding: RequestStateBinding): string;
  /** The claim, or undefined for state that is forged, tampered, expired or bound elsewhere. */
  open(token: string, binding: RequestStateBinding): RequestStateClaim | undefined;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  // No prototype: a `__proto__` key is digested as the key the upstream receives.
  const out = Object.create(null) as JsonObject;
  for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]);
  return out;
}

/**
 * Method and parameters, without what legitimately changes between the
 * rounds of one call (`_meta`, `inputResponses`, `requestState`); key order
 * does not matter.
 */
export function requestDigest(request: JsonRpcRequest): string {
  const { _meta, inputResponses, requestState, ...params } = request.params ?? {};
  void _meta;
  void inputResponses;
  void requestState;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([request.method, canonical(params)]))
    .digest('base64url')
    .slice(0, 22);
}

export function createRequestStateSeal(box: SealedBox, ttlMs: number): RequestStateSeal {
  return {
    seal(claim, binding) {
      const sealed: Sealed = { v: 1, ...binding, ...claim, exp: Date.now() + ttlMs };
      return box.seal(PURPOSE, sealed);
    },
    open(token, binding) {
      const sealed = box.open<Sealed>(PURPOSE, token);
      if (sealed?.v !== 1 || sealed.exp < Date.now()) return undefined;
      if (
        sealed.pid !== binding.pid ||
        sealed.ws !== binding.ws ||
        sealed.srv !== binding.srv ||
        sealed.digest !== binding.digest
      )
        return undefined;
      if (typeof sealed.call !== 'string' || typeof sealed.round !== 'number') return undefined;
      return { call: sealed.call, round: sealed.round };
    },
  };
}
