/**
 * A legacy `initialize` for an upstream that serves only 2026-07-28.
 *
 * Whether to bridge is learned, not configured: a legacy `initialize` the
 * upstream refuses, from an upstream whose `server/discover` lists
 * 2026-07-28, marks it modern-only for the era horizon, so clients that
 * initialize before every call (Claude) do not pay a refused round trip
 * each time. The gateway then answers `initialize` itself from the
 * discover result and mints a session that speaks the modern era upstream.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { JsonRpcRequest } from '../json-rpc.ts';
import type { InitializeParams } from '../legacy/initialize.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { sendJson } from '../reply.ts';
import { initializeFromDiscover } from './initialize-from-discover.ts';

/** How modern-only servers refuse a legacy initialize: unsupported version, unknown method, missing envelope. */
const REFUSALS = new Set([-32022, -32601, -32602, -32600]);

/** Whether a failed upstream initialize means "this upstream speaks only the modern era". */
export async function refusesLegacy(
  call: McpCall,
  deps: McpDeps,
  error: unknown,
): Promise<boolean> {
  if (!(error instanceof GatewayError)) return false;
  if (error.code === 'upstream_error') {
    const refusal = error.data?.upstreamError as { code?: unknown } | undefined;
    if (typeof refusal?.code !== 'number' || !REFUSALS.has(refusal.code)) return false;
  } else if (error.code !== 'upstream_protocol_error' && error.code !== 'upstream_refused') {
    return false;
  }
  const verdict = await deps.eraCache.get(call.upstream, call.timeoutMs).catch(() => undefined);
  if (!verdict?.modern) return false;
  deps.bridge.modernOnly.remember(call.serverKey);
  return true;
}

export async function bridgeInitialize(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
  params: InitializeParams,
): Promise<void> {
  const verdict = await deps.eraCache.get(call.upstream, call.timeoutMs);
  if (!verdict.modern || verdict.discover === null) {
    deps.bridge.modernOnly.forget(call.serverKey);
    throw new GatewayError(
      'upstream_unavailable',
      `The upstream ${call.serverKey} no longer answers server/discover; initialize again.`,
    );
  }
  const { id } = deps.sessions.mint({
    ws: call.server.workspaceId,
    srv: call.server.id,
    pid: call.principal.id,
    ver: params.protocolVersion,
    caps: params.capabilities,
    ci: params.clientInfo,
    usid: null,
    uera: 'modern',
  });
  call.record.protocolVersion = params.protocolVersion;
  sendJson(
    call.reply,
    call.record,
    200,
    {
      jsonrpc: '2.0',
      id: message.id,
      result: initializeFromDiscover(verdict.discover, params.protocolVersion),
    },
    { 'mcp-session-id': id },
  );
}
