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
 * so a client's answer can be told apart from anything else it posts. An id
 * may carry a scope (`pc-s2c.u<scope>.<n|s><id>`): the upstream session the
 * request came from, so that whichever instance the answer reaches names the
 * same pending request as the instance holding that session (stdio
 * processes are per instance; see legacy/relay.ts).
 */
const CLIENT_REQUEST_PREFIX = 'pc-s2c.';
const SCOPE = /^[A-Za-z0-9_-]+$/;

export function toClientRequestId(upstreamId: JsonRpcId, scope?: string): string {
  if (scope !== undefined && !SCOPE.test(scope)) throw new Error(`invalid id scope "${scope}"`);
  const prefix = scope === undefined ? CLIENT_REQUEST_PREFIX : `${CLIENT_REQUEST_PREFIX}u${scope}.`;
  return typeof upstreamId === 'number' ? `${prefix}n${upstreamId}` : `${prefix}s${upstreamId}`;
}

/** The scope part and the rest (`<n|s><id>`) of a client request id, or undefined. */
function splitClientRequestId(id: unknown): { scope?: string; rest: string } | undefined {
  if (typeof id !== 'string' || !id.startsWith(CLIENT_REQUEST_PREFIX)) return undefined;
  const body = id.slice(CLIENT_REQUEST_PREFIX.length);
  if (!body.startsWith('u')) return { rest: body };
  const dot = body.indexOf('.');
  const scope = body.slice(1, dot);
  if (dot < 0 || !SCOPE.test(scope)) return undefined;
  return { scope, rest: body.slice(dot + 1) };
}

export function fromClientRequestId(id: unknown): JsonRpcId | undefined {
  const parts = splitClientRequestId(id);
  if (parts === undefined) return undefined;
  const kind = parts.rest.charAt(0);
  const rest = parts.rest.slice(1);
  if (kind === 's') return rest;
  if (kind === 'n' && rest.length > 0 && Number.isFinite(Number(rest))) return Number(rest);
  return undefined;
}

/** The scope a client request id carries; undefined when it has none (or is no such id). */
export function clientRequestScope(id: unknown): string | undefined {
  return fromClientRequestId(id) === undefined ? undefined : splitClientRequestId(id)?.scope;
}
