/**
 * The MCP endpoint `/<workspace>/<server>/mcp`. One request, in order:
 *
 *   1. resolve the server            (404 for unknown workspace or server)
 *   2. authenticate the caller       (401/403, before anything else is read)
 *   3. check the HTTP envelope       (content type, Accept, body)
 *   4. classify the protocol era     (the SDK's own dual-era ladder)
 *   5. serve it: legacy or modern, pass-through or bridged
 *   6. emit the request record once
 *
 * Handlers throw GatewayErrors; reply.ts turns them into JSON-RPC errors.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { authenticate } from '../auth/resource/authenticate.ts';
import type { ApiKeyIndex } from '../auth/resource/api-keys.ts';
import type { RouteTable } from '../ingress/route-table.ts';
import { GatewayError } from '../shared/errors.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { UpstreamRegistry } from '../upstream/upstream-registry.ts';
import { isNotification, isRequest, parseBody, targetOf } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { handleInitialize } from './legacy/initialize.ts';
import { handleLegacyDelete, handleLegacyGet } from './legacy/legacy-get.ts';
import { handleLegacyBatch, handleLegacyMessage } from './legacy/legacy-post.ts';
import { header } from './mcp-call.ts';
import type { McpCall, McpDeps } from './mcp-call.ts';
import { forwardModern } from './modern/modern-post.ts';
import { validateStandardHeaders } from './modern/standard-headers.ts';
import { sendAccepted, sendError } from './reply.ts';

export interface RecordSink {
  write(record: RequestRecord): void;
}

export interface McpEndpointDeps extends McpDeps {
  readonly routes: RouteTable;
  readonly apiKeys: ApiKeyIndex;
  readonly upstreams: UpstreamRegistry;
  readonly records: RecordSink;
  readonly defaultTimeoutMs: number;
}

function newRecord(request: FastifyRequest, workspaceId: string, serverId: string): RequestRecord {
  const length = Number(request.headers['content-length'] ?? 0);
  return {
    id: String(request.id),
    time: new Date(),
    workspaceId,
    serverId,
    principalKind: 'anonymous',
    principalId: null,
    apiKeyId: null,
    method: request.method,
    target: null,
    era: 'legacy',
    protocolVersion: null,
    sessionHash: null,
    latencyMs: 0,
    upstreamLatencyMs: null,
    status: 'ok',
    httpStatus: 0,
    errorCode: null,
    errorMessage: null,
    bytesIn: Number.isFinite(length) ? length : 0,
    bytesOut: 0,
  };
}

function checkPostEnvelope(request: FastifyRequest): void {
  const type = (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new GatewayError(
      'unsupported_media_type',
      'Unsupported Media Type: Content-Type must be application/json.',
    );
  const accept = header(request, 'accept');
  if (
    accept !== undefined &&
    !accept.includes('*/*') &&
    !(accept.includes('application/json') && accept.includes('text/event-stream'))
  ) {
    throw new GatewayError(
      'not_acceptable',
      'Not Acceptable: Accept must list both application/json and text/event-stream.',
    );
  }
}

/** What servePost learned before it failed, so the error can answer the right request id. */
interface PostState {
  requestId: JsonRpcId | null;
}

async function servePost(
  call: McpCall,
  deps: McpEndpointDeps,
  body: Buffer,
  state: PostState,
): Promise<void> {
  checkPostEnvelope(call.request);
  const parsed = parseBody(body);
  const single = Array.isArray(parsed) ? undefined : parsed;
  if (single && isRequest(single)) state.requestId = single.id;
  if (single && (isRequest(single) || isNotification(single))) {
    call.record.method = single.method;
    call.record.target = targetOf(single);
  } else if (single) {
    call.record.method = '(response)';
  } else {
    call.record.method = '(batch)';
  }

  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: header(call.request, 'mcp-protocol-version'),
    mcpMethodHeader: header(call.request, 'mcp-method'),
    mcpNameHeader: header(call.request, 'mcp-name'),
    body: parsed,
  });

  if (route.kind === 'reject') {
    const code =
      route.code === -32020
        ? 'header_mismatch'
        : route.code === -32022
          ? 'unsupported_protocol_version'
          : route.code === -32602
            ? 'invalid_params'
            : 'invalid_message';
    throw Object.assign(
      new GatewayError(
        code,
        route.message,
        route.data === undefined ? {} : { data: route.data as Record<string, unknown> },
      ),
      { status: route.httpStatus },
    );
  }

  if (route.kind === 'modern') {
    call.record.era = 'modern';
    call.record.protocolVersion = route.classification.revision ?? null;
    const message = route.message as JsonRpcMessage;
    if (isRequest(message)) {
      validateStandardHeaders(
        {
          protocolVersion: header(call.request, 'mcp-protocol-version'),
          method: header(call.request, 'mcp-method'),
          name: header(call.request, 'mcp-name'),
        },
        message,
      );
    }
    const verdict = await deps.eraCache.get(call.upstream, call.timeoutMs);
    if (!verdict.modern) {
      if (!isRequest(message)) return sendAccepted(call.reply, call.record);
      throw new GatewayError(
        'unsupported_transport',
        'This upstream speaks only the 2025 protocol; bridging 2026-07-28 clients to it is not available yet.',
      );
    }
    return forwardModern(call, deps, body);
  }

  call.record.era = 'legacy';
  if (Array.isArray(parsed)) await handleLegacyBatch(call, deps, parsed);
  else if (isRequest(parsed) && parsed.method === 'initialize')
    await handleInitialize(call, deps, parsed);
  else await handleLegacyMessage(call, deps, parsed);
}

export function createMcpEndpoint(deps: McpEndpointDeps) {
  return async function handleMcp(
    request: FastifyRequest<{ Params: { workspaceId: string; serverId: string } }>,
    reply: FastifyReply,
  ): Promise<void> {
    const started = performance.now();
    const { workspaceId, serverId } = request.params;
    const record = newRecord(request, workspaceId, serverId);
    const controller = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.on('close', onClose);
    const state: PostState = { requestId: null };
    try {
      if (deps.routes.workspace(workspaceId) === undefined)
        throw new GatewayError('workspace_not_found', `No workspace "${workspaceId}".`);
      const server = deps.routes.server(workspaceId, serverId);
      if (server === undefined)
        throw new GatewayError(
          'server_not_found',
          `No server "${serverId}" in workspace "${workspaceId}".`,
        );
      const principal = authenticate(header(request, 'authorization'), server, deps.apiKeys);
      record.principalKind = principal.kind;
      record.principalId = principal.userId;
      record.apiKeyId = principal.apiKeyId;
      const sessionId = header(request, 'mcp-session-id');
      if (sessionId)
        record.sessionHash = crypto
          .createHash('sha256')
          .update(sessionId)
          .digest('base64url')
          .slice(0, 16);
      const call: McpCall = {
        server,
        serverKey: `${workspaceId}/${serverId}`,
        upstream: deps.upstreams.get(server),
        principal,
        request,
        reply,
        record,
        signal: controller.signal,
        timeoutMs: server.timeoutMs || deps.defaultTimeoutMs,
      };
      if (request.method === 'POST') await servePost(call, deps, request.body as Buffer, state);
      else if (request.method === 'GET') await handleLegacyGet(call, deps);
      else if (request.method === 'DELETE') await handleLegacyDelete(call, deps);
      else
        throw new GatewayError('method_not_allowed', undefined, {
          headers: { allow: 'GET, POST, DELETE, OPTIONS' },
        });
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'internal')
        deps.log.error(
          { err: error.cause ?? error, server: `${workspaceId}/${serverId}` },
          'mcp request failed',
        );
      sendError(reply, record, error, state.requestId);
    } finally {
      reply.raw.off('close', onClose);
      record.latencyMs = performance.now() - started;
      if (record.httpStatus === 0) record.httpStatus = reply.raw.statusCode;
      deps.records.write(record);
    }
  };
}
