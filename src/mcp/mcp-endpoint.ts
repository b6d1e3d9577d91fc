/**
 * The MCP endpoint `/<workspace>/<server>/mcp`. One request, in order:
 *
 *   1. authenticate the caller       (401, before anything else is looked at)
 *   2. resolve and authorize         (404 unknown workspace or server, 403 out of scope)
 *   3. check the HTTP envelope       (content type, Accept, body)
 *   4. classify the protocol era     (the SDK's own dual-era ladder)
 *   5. serve it: legacy or modern, pass-through or bridged
 *   6. emit the request record once
 *
 * Handlers throw GatewayErrors; reply.ts turns them into JSON-RPC errors.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { authenticate, authorize } from '../auth/resource/authenticate.ts';
import type { ResourceServerDeps } from '../auth/resource/authenticate.ts';
import type { RouteTable } from '../ingress/route-table.ts';
import type { ServerDefinition } from '../store/model.ts';
import { GatewayError } from '../shared/errors.ts';
import { META, MODERN_VERSION, isLegacyVersion } from '../session/protocol-version.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { noteClientInfo } from '../telemetry/client-info.ts';
import type { MessageTrace, Tracing } from '../telemetry/tracing.ts';
import type { UpstreamRegistry } from '../upstream/upstream-registry.ts';
import type { IdentityForwarding } from '../auth/upstream-credentials/identity-forwarding.ts';
import { downstreamClient } from '../auth/upstream-credentials/upstream-oauth-credentials.ts';
import type { UpstreamOAuthCredentials } from '../auth/upstream-credentials/upstream-oauth-credentials.ts';
import { bridgeModernRequest } from './bridge/modern-to-legacy.ts';
import { isNotification, isObject, isRequest, parseBody, targetOf } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { createInterceptContext, interceptedUpstream } from './intercept/intercept-context.ts';
import type { InterceptorSource } from './intercept/interceptor.ts';
import { handleInitialize } from './legacy/initialize.ts';
import { handleLegacyDelete, handleLegacyGet } from './legacy/legacy-get.ts';
import { handleLegacyBatch, handleLegacyMessage } from './legacy/legacy-post.ts';
import { beforeLastByte } from './before-last-byte.ts';
import { header } from './mcp-call.ts';
import type { McpCall, McpDeps, McpReply, McpRequest } from './mcp-call.ts';
import { forwardModern } from './modern/modern-post.ts';
import { validateStandardHeaders } from './modern/standard-headers.ts';
import { sendAccepted, sendError } from './reply.ts';

export interface RecordSink {
  write(record: RequestRecord): void;
  /**
   * Set when written records survive the process (the record spool). A
   * POST's record is then written just before its last byte goes out, not
   * after: a client that got its answer finds the record even when the
   * process is killed right after.
   */
  readonly durable?: boolean;
}

export interface McpEndpointDeps extends McpDeps {
  readonly routes: RouteTable;
  readonly resourceServer: ResourceServerDeps;
  readonly upstreams: UpstreamRegistry;
  readonly records: RecordSink;
  readonly defaultTimeoutMs: number;
  /** Adds the caller's signed identity to upstream calls of servers that forward it. */
  readonly identity?: IdentityForwarding;
  /** Adds the owner's upstream OAuth token to calls of servers with `upstream_auth.mode: oauth`. */
  readonly upstreamOAuth?: UpstreamOAuthCredentials;
  /** OpenTelemetry spans per message; undefined when tracing is off (nothing is allocated then). */
  readonly tracing?: Tracing;
  /** Policy, limits, credentials and capture; none (or only empty lists) leaves the upstream undecorated. */
  readonly interceptors?: readonly InterceptorSource[];
}

/** What a record takes from the request: also given for requests refused before the endpoint. */
type RecordedRequest = Pick<McpRequest, 'id' | 'method' | 'headers'>;

function newRecord(request: RecordedRequest, workspaceId: string, serverId: string): RequestRecord {
  const length = Number(request.headers['content-length'] ?? 0);
  return {
    id: String(request.id),
    time: new Date(),
    workspaceId,
    serverId,
    principalKind: 'anonymous',
    principalId: null,
    apiKeyId: null,
    clientId: null,
    clientName: null,
    clientVersion: null,
    method: request.method,
    target: null,
    era: 'legacy',
    protocolVersion: null,
    sessionTag: null,
    latencyMs: 0,
    upstreamLatencyMs: null,
    status: 'ok',
    httpStatus: 0,
    errorCode: null,
    errorMessage: null,
    bytesIn: Number.isFinite(length) ? length : 0,
    bytesOut: 0,
    arguments: null,
    result: null,
    traceId: null,
  };
}

function checkPostEnvelope(request: McpRequest): void {
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

const PLAIN_LEGACY = { kind: 'legacy' } as const;

/**
 * Most traffic is plain 2025-era messages: one message, no per-request
 * envelope claim, no modern MCP-Protocol-Version header. The SDK's ladder
 * classifies those as legacy too, so they skip its schema-based checks;
 * everything else goes through the ladder for its exact answers.
 */
function isPlainLegacy(
  parsed: JsonRpcMessage | JsonRpcMessage[],
  versionHeader: string | undefined,
): boolean {
  if (Array.isArray(parsed)) return false;
  if (versionHeader !== undefined && !isLegacyVersion(versionHeader.trim())) return false;
  const meta = 'params' in parsed && isObject(parsed.params) ? parsed.params._meta : undefined;
  return !(isObject(meta) && META.protocolVersion in meta);
}

/** What servePost learned before it failed, so the error can answer the right request id. */
interface PostState {
  requestId: JsonRpcId | null;
  readonly trace: MessageTrace | undefined;
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
  if (single) state.trace?.adopt(single);
  if (single && (isRequest(single) || isNotification(single))) {
    call.record.method = single.method;
    call.record.target = targetOf(single);
  } else if (single) {
    call.record.method = '(response)';
  } else {
    call.record.method = '(batch)';
  }

  const versionHeader = header(call.request, 'mcp-protocol-version');
  const route = isPlainLegacy(parsed, versionHeader)
    ? PLAIN_LEGACY
    : classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: versionHeader,
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
    const revision = route.classification.revision;
    call.record.protocolVersion = revision ?? null;
    // The classifier routes any envelope claim to the modern era; only revisions this gateway serves go further.
    if (revision !== undefined && revision !== MODERN_VERSION) {
      throw new GatewayError(
        'unsupported_protocol_version',
        `Unsupported protocol version: ${revision}.`,
        {
          // The same list server/discover advertises (conformance checks they agree).
          data: { supported: [MODERN_VERSION], requested: revision },
        },
      );
    }
    const message = route.message as JsonRpcMessage;
    if ('params' in message && isObject(message.params) && isObject(message.params._meta))
      noteClientInfo(call.record, message.params._meta[META.clientInfo]);
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
      return bridgeModernRequest(call, deps, message);
    }
    return forwardModern(call, deps, body, message);
  }

  call.record.era = 'legacy';
  if (Array.isArray(parsed)) await handleLegacyBatch(call, deps, parsed);
  else if (isRequest(parsed) && parsed.method === 'initialize')
    await handleInitialize(call, deps, parsed);
  else await handleLegacyMessage(call, deps, parsed);
}

function resolveServer(
  deps: McpEndpointDeps,
  workspaceId: string,
  serverId: string,
): ServerDefinition | undefined {
  return deps.routes.server(workspaceId, serverId);
}

/**
 * Records an MCP request that ingress refused before the endpoint ran
 * (Origin/Host, body limit, HTTP method), when it addressed a real server.
 */
export function recordRejection(
  deps: Pick<McpEndpointDeps, 'routes' | 'records'>,
  request: RecordedRequest,
  error: GatewayError,
  params: { workspaceId: string; serverId: string },
): void {
  if (deps.routes.server(params.workspaceId, params.serverId) === undefined) return;
  const record = newRecord(request, params.workspaceId, params.serverId);
  record.status = 'error';
  record.httpStatus = error.status;
  record.errorCode = error.rpcCode;
  record.errorMessage = error.code;
  deps.records.write(record);
}

export function createMcpEndpoint(deps: McpEndpointDeps) {
  return async function handleMcp(request: McpRequest, reply: McpReply): Promise<void> {
    const started = performance.now();
    const { workspaceId, serverId } = request.params;
    const record = newRecord(request, workspaceId, serverId);
    const trace = deps.tracing?.begin(request.headers);
    // The abort signal (client gone) is made on first use: most 2025-era
    // calls never need it, and it costs a controller and a listener.
    let controller: AbortController | undefined;
    const onClose = (): void => {
      if (!reply.raw.writableFinished) controller?.abort();
    };
    const signal = (): AbortSignal => {
      if (controller === undefined) {
        controller = new AbortController();
        if (reply.raw.closed) onClose();
        else reply.raw.on('close', onClose);
      }
      return controller.signal;
    };
    const state: PostState = { requestId: null, trace };
    // Records are written only for routes that exist, so callers cannot fill the log with made-up ids.
    let routed = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      record.latencyMs = performance.now() - started;
      if (record.httpStatus === 0) record.httpStatus = reply.raw.statusCode;
      if (routed) trace?.end(record);
      if (routed) deps.records.write(record);
    };
    // A GET stream's record is completed after the stream ends; only POST answers end with the record final.
    if (deps.records.durable === true && request.method === 'POST')
      beforeLastByte(reply.raw, finish);
    try {
      const target = { workspaceId, serverId };
      const authenticated = authenticate(
        header(request, 'authorization'),
        deps.resourceServer,
        target,
      );
      const credential = authenticated instanceof Promise ? await authenticated : authenticated;
      const server = resolveServer(deps, workspaceId, serverId);
      routed = server !== undefined;
      const { principal } = credential;
      record.principalKind = principal.kind;
      record.principalId = principal.userId;
      record.apiKeyId = principal.apiKeyId;
      record.clientId = principal.clientId;
      if (server === undefined) {
        if (deps.routes.workspace(workspaceId) === undefined)
          throw new GatewayError('workspace_not_found', `No workspace "${workspaceId}".`);
        throw new GatewayError(
          'server_not_found',
          `No server "${serverId}" in workspace "${workspaceId}".`,
        );
      }
      const authorized = authorize(credential, server, deps.resourceServer);
      if (authorized instanceof Promise) await authorized;
      // Innermost: client spans time the transport alone, after policy and credentials.
      const base =
        trace === undefined
          ? deps.upstreams.get(server, principal)
          : trace.upstream(deps.upstreams.get(server, principal), server);
      const identified =
        deps.identity === undefined ? base : deps.identity.upstreamFor(base, server, principal);
      const upstream =
        deps.upstreamOAuth === undefined || server.upstreamAuth.mode !== 'oauth'
          ? identified
          : deps.upstreamOAuth.upstreamFor(
              identified,
              server,
              principal,
              downstreamClient(
                () =>
                  createInterceptContext({ server, principal, record, request }, deps.sessions)
                    .clientCapabilities,
              ),
            );
      const intercepted =
        deps.interceptors === undefined || deps.interceptors.length === 0
          ? upstream
          : interceptedUpstream(
              upstream,
              deps.interceptors,
              { server, principal, record, request },
              deps.sessions,
            );
      const call: McpCall = {
        server,
        serverKey: `${workspaceId}/${serverId}`,
        upstream: intercepted instanceof Promise ? await intercepted : intercepted,
        principal,
        request,
        reply,
        record,
        get signal() {
          return signal();
        },
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
      if (!routed) routed = resolveServer(deps, workspaceId, serverId) !== undefined;
      sendError(reply, record, error, state.requestId);
    } finally {
      if (controller !== undefined) reply.raw.off('close', onClose);
      finish();
    }
  };
}
