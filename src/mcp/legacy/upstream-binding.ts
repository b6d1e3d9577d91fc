/**
 * Sends a downstream legacy session's message to its upstream session, and
 * recovers when the upstream has forgotten that session (404): a fresh
 * upstream session is opened with the capabilities sealed in the downstream
 * session, recorded as the replacement, and the message is sent once more.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { LegacySession } from '../../session/legacy-session.ts';
import { upstreamSessionKey } from '../../session/upstream-sessions.ts';
import type { UpstreamOutcome } from '../../upstream/upstream.ts';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { openUpstreamSession } from './initialize.ts';

/** Replacements of upstream session ids are kept per server and principal. */
export function replacementScope(session: LegacySession): string {
  return `${session.ws}/${session.srv}|${session.pid}`;
}

export function currentUpstreamSessionId(deps: McpDeps, session: LegacySession): string | null {
  return session.usid === null
    ? null
    : deps.upstreamSessions.resolve(replacementScope(session), session.usid);
}

export async function sendToUpstreamSession(
  call: McpCall,
  deps: McpDeps,
  session: LegacySession,
  message: JsonRpcMessage | JsonRpcMessage[],
  extraHeaders: Record<string, string> = {},
): Promise<{
  outcome: Exclude<UpstreamOutcome, { kind: 'session-gone' }>;
  upstreamSessionId: string | null;
}> {
  let upstreamSessionId = currentUpstreamSessionId(deps, session);
  for (let attempt = 0; attempt < 2; attempt++) {
    // A session in use is never idle: the pool must not end it under its clients.
    if (upstreamSessionId !== null) deps.upstreamSessions.touch(upstreamSessionId);
    const outcome = await call.upstream.post(message, {
      sessionId: upstreamSessionId,
      protocolVersion: session.ver,
      headers: extraHeaders,
      // No abort signal: in the 2025 era a client disconnect is not a
      // cancellation, and a relay that stops reading releases the stream.
      timeoutMs: call.timeoutMs,
    });
    if (outcome.kind !== 'session-gone') return { outcome, upstreamSessionId };
    if (attempt === 1 || upstreamSessionId === null) break;
    const key = upstreamSessionKey({
      serverKey: call.serverKey,
      principalId: session.pid,
      protocolVersion: session.ver,
      capabilities: session.caps,
      clientInfo: session.ci,
    });
    deps.upstreamSessions.evict(key, upstreamSessionId);
    const params = {
      protocolVersion: session.ver,
      capabilities: session.caps,
      clientInfo: session.ci,
      raw: {
        protocolVersion: session.ver,
        capabilities: session.caps,
        ...(session.ci ? { clientInfo: session.ci } : {}),
      },
    };
    const { session: fresh } = await deps.upstreamSessions.acquire(key, () =>
      openUpstreamSession(call.upstream, params, call.timeoutMs),
    );
    if (fresh.sessionId !== null && fresh.sessionId !== upstreamSessionId)
      deps.upstreamSessions.replace(replacementScope(session), upstreamSessionId, fresh.sessionId);
    upstreamSessionId = fresh.sessionId;
  }
  throw new GatewayError(
    'session_not_found',
    'The upstream session has ended and could not be re-opened; initialize again.',
  );
}
