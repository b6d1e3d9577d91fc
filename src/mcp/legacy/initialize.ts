/**
 * Legacy `initialize`: answered from a live upstream session when one can be
 * reused safely (same principal, server, version and capabilities), else by
 * opening one (initialize + notifications/initialized upstream). Either way
 * the client gets a fresh sealed Mcp-Session-Id.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import { negotiateLegacyVersion } from '../../session/protocol-version.ts';
import { upstreamSessionKey } from '../../session/upstream-sessions.ts';
import type { UpstreamSession } from '../../session/upstream-sessions.ts';
import { noteClientInfo } from '../../telemetry/client-info.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { bridgeInitialize, refusesLegacy } from '../bridge/bridge-initialize.ts';
import { isObject, isResponse } from '../json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { sendJson } from '../reply.ts';

export interface InitializeParams {
  protocolVersion: string;
  capabilities: JsonObject;
  clientInfo: JsonObject | null;
  raw: JsonObject;
}

export function readInitializeParams(message: JsonRpcRequest): InitializeParams {
  const params = message.params ?? {};
  if (typeof params.protocolVersion !== 'string')
    throw new GatewayError('invalid_params', 'initialize needs params.protocolVersion.');
  if (params.capabilities !== undefined && !isObject(params.capabilities))
    throw new GatewayError('invalid_params', 'initialize params.capabilities must be an object.');
  return {
    protocolVersion: negotiateLegacyVersion(params.protocolVersion),
    capabilities: isObject(params.capabilities) ? params.capabilities : {},
    clientInfo: isObject(params.clientInfo) ? params.clientInfo : null,
    raw: params,
  };
}

/** Opens one upstream legacy session on behalf of a client. */
export async function openUpstreamSession(
  upstream: Upstream,
  params: InitializeParams,
  timeoutMs: number,
): Promise<UpstreamSession> {
  const id = `pc-init.${crypto.randomBytes(6).toString('base64url')}`;
  const outcome = await upstream.post(
    {
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { ...params.raw, protocolVersion: params.protocolVersion },
    },
    { timeoutMs },
  );
  let answer: JsonRpcResponse | undefined;
  let sessionId: string | undefined;
  if (outcome.kind === 'json' && isResponse(outcome.message)) {
    answer = outcome.message;
    sessionId = outcome.sessionId;
  } else if (outcome.kind === 'stream') {
    sessionId = outcome.sessionId;
    for await (const item of outcome.messages) {
      if (item.message && isResponse(item.message) && item.message.id === id) {
        answer = item.message;
        break;
      }
    }
  }
  if (answer === undefined)
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${upstream.serverKey} did not answer initialize.`,
    );
  if (answer.error || !isObject(answer.result)) {
    throw new GatewayError(
      'upstream_error',
      `The upstream ${upstream.serverKey} refused initialize: ${answer.error?.message ?? 'no result'}`,
      { data: { upstreamError: answer.error } },
    );
  }
  const version =
    typeof answer.result.protocolVersion === 'string'
      ? answer.result.protocolVersion
      : params.protocolVersion;
  const notified = await upstream.post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { sessionId: sessionId ?? null, protocolVersion: version, timeoutMs },
  );
  if (notified.kind === 'stream') for await (const _ of notified.messages) break;
  return { sessionId: sessionId ?? null, protocolVersion: version, result: answer.result };
}

export async function handleInitialize(
  call: McpCall,
  deps: McpDeps,
  message: JsonRpcRequest,
): Promise<void> {
  const params = readInitializeParams(message);
  call.record.protocolVersion = params.protocolVersion;
  noteClientInfo(call.record, params.clientInfo);
  const key = upstreamSessionKey({
    serverKey: call.serverKey,
    principalId: call.principal.id,
    protocolVersion: params.protocolVersion,
    capabilities: params.capabilities,
    clientInfo: params.clientInfo,
  });
  if (deps.bridge.modernOnly.has(call.serverKey))
    return bridgeInitialize(call, deps, message, params);
  const started = performance.now();
  let acquired;
  try {
    acquired = await deps.upstreamSessions.acquire(key, () =>
      openUpstreamSession(call.upstream, params, call.timeoutMs),
    );
  } catch (error) {
    if (await refusesLegacy(call, deps, error))
      return bridgeInitialize(call, deps, message, params);
    throw error;
  }
  const { session, reused } = acquired;
  if (!reused) call.record.upstreamLatencyMs = performance.now() - started;
  const minted = deps.sessions.mint({
    ws: call.server.workspaceId,
    srv: call.server.id,
    pid: call.principal.id,
    ver: session.protocolVersion,
    caps: params.capabilities,
    ci: params.clientInfo,
    usid: session.sessionId,
    uera: 'legacy',
  });
  call.record.protocolVersion = session.protocolVersion;
  call.record.sessionTag = minted.session.tag;
  sendJson(
    call.reply,
    call.record,
    200,
    { jsonrpc: '2.0', id: message.id, result: session.result },
    { 'mcp-session-id': minted.id },
  );
}
