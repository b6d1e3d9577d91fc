/**
 * Which protocol era each upstream speaks, probed once and cached with a
 * freshness horizon (MCP 2026-07-28 streamable-http "Backward Compatibility").
 *
 * A `server/discover` carrying a modern envelope that comes back with a
 * result listing 2026-07-28 means the upstream serves the modern era (it may
 * serve legacy too); anything else means legacy only. Transports with a
 * fixed era (legacy HTTP+SSE) are never probed.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../shared/errors.ts';
import { isObject, isResponse } from '../mcp/json-rpc.ts';
import type { JsonObject } from '../mcp/json-rpc.ts';
import { META, MODERN_VERSION } from '../session/protocol-version.ts';
import type { Upstream } from './upstream.ts';

export interface EraVerdict {
  modern: boolean;
  /** The discover result, when the upstream is modern (serverInfo, capabilities, instructions). */
  discover: JsonObject | null;
}

export interface EraCache {
  get(upstream: Upstream, timeoutMs: number): Promise<EraVerdict>;
  forget(serverKey: string): void;
}

export async function probeEra(upstream: Upstream, timeoutMs: number): Promise<EraVerdict> {
  try {
    return await discover(upstream, timeoutMs);
  } catch (error) {
    // A legacy-only server may answer the probe with anything, even a 5xx or
    // a non-JSON body; only a server we cannot reach leaves the era unknown.
    if (
      error instanceof GatewayError &&
      (error.code === 'upstream_protocol_error' ||
        error.code === 'upstream_refused' ||
        error.code === 'upstream_error')
    ) {
      return { modern: false, discover: null };
    }
    throw error;
  }
}

async function discover(upstream: Upstream, timeoutMs: number): Promise<EraVerdict> {
  const outcome = await upstream.post(
    {
      jsonrpc: '2.0',
      id: `pc-discover.${crypto.randomBytes(6).toString('base64url')}`,
      method: 'server/discover',
      params: {
        _meta: {
          [META.protocolVersion]: MODERN_VERSION,
          [META.clientCapabilities]: {},
          [META.clientInfo]: { name: 'portcullis', version: '0.1.0' },
        },
      },
    },
    { protocolVersion: MODERN_VERSION, headers: { 'mcp-method': 'server/discover' }, timeoutMs },
  );
  let answer = null;
  if (outcome.kind === 'json') answer = outcome.message;
  if (outcome.kind === 'stream') {
    for await (const item of outcome.messages) {
      if (item.message && isResponse(item.message)) {
        answer = item.message;
        break;
      }
    }
  }
  if (answer && isResponse(answer) && isObject(answer.result)) {
    const versions = answer.result.supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_VERSION))
      return { modern: true, discover: answer.result };
  }
  return { modern: false, discover: null };
}

export function createEraCache(horizonMs: number): EraCache {
  const verdicts = new Map<string, { verdict: EraVerdict; at: number }>();
  const inflight = new Map<string, Promise<EraVerdict>>();
  return {
    async get(upstream, timeoutMs) {
      if (upstream.fixedEra === 'legacy') return { modern: false, discover: null };
      const cached = verdicts.get(upstream.serverKey);
      if (cached && Date.now() - cached.at < horizonMs) return cached.verdict;
      let pending = inflight.get(upstream.serverKey);
      if (pending === undefined) {
        pending = probeEra(upstream, timeoutMs)
          .then((verdict) => {
            verdicts.set(upstream.serverKey, { verdict, at: Date.now() });
            return verdict;
          })
          .finally(() => inflight.delete(upstream.serverKey));
        inflight.set(upstream.serverKey, pending);
      }
      return pending;
    },
    forget(serverKey) {
      verdicts.delete(serverKey);
    },
  };
}
