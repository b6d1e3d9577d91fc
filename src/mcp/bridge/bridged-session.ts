/**
 * The legacy upstream session a 2026-07-28 client's requests run on.
 *
 * A modern client declares its capabilities and identity on every request,
 * so each distinct declaration gets its own pooled upstream session,
 * initialized with exactly those capabilities at the latest legacy
 * version, and reused by every later request that declares the same. The
 * pool key is kept apart from legacy downstream sessions' keys: the bridge
 * sets the upstream log level and holds calls open on its sessions.
 */
import { GatewayError } from '../../shared/errors.ts';
import { LATEST_LEGACY_VERSION } from '../../session/protocol-version.ts';
import { upstreamSessionKey } from '../../session/upstream-sessions.ts';
import type { UpstreamSession } from '../../session/upstream-sessions.ts';
import type { UpstreamOutcome } from '../../upstream/upstream.ts';
import type { JsonObject, JsonRpcMessage } from '../json-rpc.ts';
import { openUpstreamSession } from '../legacy/initialize.ts';
import type { InitializeParams } from '../legacy/initialize.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import type { ModernEnvelope } from './modern-envelope.ts';

/** Sent as clientInfo when a modern client declared none (legacy initialize requires one). */
const ANONYMOUS_CLIENT = { name: 'portcullis-bridged-client', version: '0.0.0' };

export function bridgedInitializeParams(envelope: ModernEnvelope): InitializeParams {
  return {
    protocolVersion: LATEST_LEGACY_VERSION,
    capabilities: envelope.capabilities,
    clientInfo: envelope.clientInfo,
    raw: {
      protocolVersion: LATEST_LEGACY_VERSION,
      capabilities: envelope.capabilities,
      clientInfo: envelope.clientInfo ?? ANONYMOUS_CLIENT,
    },
  };
}

function poolKey(call: McpCall, envelope: ModernEnvelope): string {
  return upstreamSessionKey({
    serverKey: call.serverKey,
    principalId: call.principal.id,
    protocolVersion: LATEST_LEGACY_VERSION,
    capabilities: envelope.capabilities,
    clientInfo: { bridgedFrom: '2026-07-28', clientInfo: envelope.clientInfo },
  });
}

export async function acquireBridgedSession(
  call: McpCall,
  deps: McpDeps,
  envelope: ModernEnvelope,
): Promise<UpstreamSession> {
  const started = performance.now();
  const { session, reused } = await deps.upstreamSessions.acquire(poolKey(call, envelope), () =>
    openUpstreamSession(call.upstream, bridgedInitializeParams(envelope), call.timeoutMs),
  );
  if (!reused) call.record.upstreamLatencyMs = performance.now() - started;
  return session;
}

/**
 * Posts one message on the bridged session; when the upstream has forgotten
 * the session (404) a fresh one is opened and the message sent once more.
 */
export async function postOnBridgedSession(
  call: McpCall,
  deps: McpDeps,
  envelope: ModernEnvelope,
  message: JsonRpcMessage,
  signal: AbortSignal,
): Promise<{
  outcome: Exclude<UpstreamOutcome, { kind: 'session-gone' }>;
  session: UpstreamSession;
}> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const session = await acquireBridgedSession(call, deps, envelope);
    const upstreamSessionId =
      session.sessionId === null
        ? null
        : deps.upstreamSessions.resolve(
            `${call.serverKey}|${call.principal.id}`,
            session.sessionId,
          );
    const outcome = await call.upstream.post(message, {
      sessionId: upstreamSessionId,
      protocolVersion: session.protocolVersion,
      signal,
      timeoutMs: call.timeoutMs,
    });
    if (outcome.kind !== 'session-gone')
      return { outcome, session: { ...session, sessionId: upstreamSessionId } };
    deps.upstreamSessions.evict(poolKey(call, envelope), session.sessionId);
  }
  throw new GatewayError(
    'upstream_unavailable',
    `The upstream ${call.serverKey} keeps forgetting its sessions.`,
  );
}

/** The upstream's serverInfo, for the `_meta` of every bridged result. */
export function serverInfoOf(session: UpstreamSession): JsonObject | undefined {
  const info = session.result.serverInfo;
  return typeof info === 'object' && info !== null && !Array.isArray(info)
    ? (info as JsonObject)
    : undefined;
}
