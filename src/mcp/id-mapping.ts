/**
 * JSON-RPC id rewriting between one downstream session and a possibly
 * shared upstream session.
 *
 * Upstream ids are derived, not stored: `<session tag>.<n|s><original id>`.
 * Any instance can map a response (or a cancellation) back from the id
 * alone, and ids of two downstream sessions can never collide upstream.
 */
import type { JsonRpcId } from './json-rpc.ts';

export function toUpstreamId(tag: string, id: JsonRpcId): string {
  return typeof id === 'number' ? `${tag}.n${id}` : `${tag}.s${id}`;
}

/** Returns the downstream id when `upstreamId` was minted for `tag`, else undefined. */
export function fromUpstreamId(tag: string, upstreamId: unknown): JsonRpcId | undefined {
  if (typeof upstreamId !== 'string' || !upstreamId.startsWith(`${tag}.`)) return undefined;
  const kind = upstreamId.charAt(tag.length + 1);
  const rest = upstreamId.slice(tag.length + 2);
  if (kind === 's') return rest;
  if (kind === 'n') {
    const n = Number(rest);
    return rest.length > 0 && Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * Server→client requests relayed downstream get ids in their own namespace
 * so a client's answer can be told apart from anything else it posts.
 */
const CLIENT_REQUEST_PREFIX = 'pc-s2c.';

export function toClientRequestId(upstreamId: JsonRpcId): string {
  return typeof upstreamId === 'number'
    ? `${CLIENT_REQUEST_PREFIX}n${upstreamId}`
    : `${CLIENT_REQUEST_PREFIX}s${upstreamId}`;
}

export function fromClientRequestId(id: unknown): JsonRpcId | undefined {
  if (typeof id !== 'string' || !id.startsWith(CLIENT_REQUEST_PREFIX)) return undefined;
  const kind = id.charAt(CLIENT_REQUEST_PREFIX.length);
  const rest = id.slice(CLIENT_REQUEST_PREFIX.length + 1);
  if (kind === 's') return rest;
  if (kind === 'n' && rest.length > 0 && Number.isFinite(Number(rest))) return Number(rest);
  return undefined;
}
