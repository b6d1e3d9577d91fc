/**
 * The HTTP listener: Fastify with the route table, the Origin/Host guard,
 * CORS, body limits, request ids, and one HTTP error translator.
 * MCP endpoints answer errors as JSON-RPC; everything else as JSON.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import Fastify, { LogController } from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { McpReply, McpRequest } from '../mcp/mcp-call.ts';
import { gatewayErrorResponse } from '../mcp/reply.ts';
import { GatewayError, toGatewayError } from '../shared/errors.ts';
import { createMcpPostLane, payloadTooLarge } from './mcp-post-lane.ts';
import type { OriginGuard } from './origin-guard.ts';

export const MCP_ROUTE = '/:workspaceId/:serverId/mcp';
const MCP_METHODS = 'GET, POST, DELETE, OPTIONS';
const MCP_REQUEST_HEADERS =
  'authorization, content-type, accept, last-event-id, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name';
const MCP_EXPOSED_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate';

/** Registers one area's routes on the app; called once, before listening. */
export type RouteModule = (app: FastifyInstance) => void;

export interface AppOptions {
  logger: FastifyBaseLogger;
  bodyLimit: number;
  /** Trust X-Forwarded-* from a reverse proxy, so `request.ip` and the protocol are the client's. */
  trustProxy?: boolean;
  originGuard: OriginGuard;
  /** The MCP endpoint: from the POST lane, or from Fastify for every other request. */
  mcpHandler: (request: McpRequest, reply: McpReply) => Promise<void>;
  isReady: () => Promise<boolean>;
  /**
   * Route modules mounted beside the MCP endpoint (authorization server,
   * sign-in pages, admin API, protected-resource metadata), in order.
   */
  routeModules?: readonly RouteModule[];
  /** Answers browser navigations no route matched (the dashboard's client-side routes). */
  navigationFallback?: (request: FastifyRequest, reply: FastifyReply) => boolean;
  /** Told about MCP requests refused here, before the endpoint ran, so they are recorded too. */
  onMcpRejection?: (
    request: Pick<McpRequest, 'id' | 'method' | 'headers'>,
    error: GatewayError,
    params: { workspaceId: string; serverId: string },
  ) => void;
}

/**
 * Request ids are also the request records' primary key: time-ordered
 * UUIDv7 keeps inserts at the end of the index, where random v4 ids would
 * make every insert a random B-tree write as the table grows.
 */
const newRequestId: () => string =
  (crypto as { randomUUIDv7?: () => string }).randomUUIDv7?.bind(crypto) ??
  (() => crypto.randomUUID());

function isMcpPath(url: string): boolean {
  return /^\/[^/]+\/[^/]+\/mcp(\?|$)/.test(url);
}

function fromFastifyError(error: FastifyError, bodyLimit: number): GatewayError {
  if (error instanceof GatewayError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('parse_error', 'The body is empty.');
    case 'FST_ERR_BAD_URL':
      return new GatewayError('bad_request', 'The path holds a malformed percent-escape.');
    // Longer than the router's parameter limit, so longer than any id it could name.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new GatewayError('not_found', 'A path segment is longer than any id.');
    default:
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
        return new GatewayError('bad_request', error.message);
      return toGatewayError(error);
  }
}

/** CORS response headers of an MCP path for an allowed browser Origin. */
function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': MCP_EXPOSED_HEADERS,
  };
}

function setCors(request: FastifyRequest, reply: FastifyReply, guard: OriginGuard): void {
  const origin = request.headers.origin;
  if (origin === undefined || !guard.allows(origin)) return;
  void reply.headers(corsHeaders(origin));
}

/** Fastify's default, which a server factory must apply itself. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export function createApp(options: AppOptions): FastifyInstance {
  let closing = false;
  const lane = createMcpPostLane({
    bodyLimit: options.bodyLimit,
    originGuard: options.originGuard,
    corsHeaders,
    newRequestId,
    isClosing: () => closing,
    handle: options.mcpHandler,
    ...(options.onMcpRejection === undefined ? {} : { onRejection: options.onMcpRejection }),
    logError: (error) => options.logger.error({ err: error }, 'unhandled error'),
  });
  // The one HTTP error translator; also for errors Fastify's router raises before any route runs.
  const translateError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const failure = fromFastifyError(error, options.bodyLimit);
    if (failure.code === 'internal') request.log.error({ err: error }, 'unhandled error');
    void reply.headers(failure.headers ?? {});
    if (isMcpPath(request.url)) {
      const params = request.params as { workspaceId?: string; serverId?: string } | undefined;
      if (params?.workspaceId !== undefined && params.serverId !== undefined) {
        options.onMcpRejection?.(request, failure, {
          workspaceId: params.workspaceId,
          serverId: params.serverId,
        });
      }
      // Same shape as errors from the MCP handler: reason, retryable and any data.
      return reply
        .code(failure.status)
        .type('application/json')
        .send(gatewayErrorResponse(null, failure));
    }
    // `data` carries details such as the field paths of invalid input; it never overrides the code.
    return reply
      .code(failure.status)
      .send({ ...failure.data, error: failure.code, message: failure.message });
  };
  const app = Fastify({
    // MCP POSTs take the lane; everything else, and everything once closing, goes to Fastify.
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (!lane(req, res)) handler(req, res);
      });
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    loggerInstance: options.logger,
    // One wide record per MCP message replaces per-request access logs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    frameworkErrors: (error, request, reply) => {
      void translateError(error, request, reply);
    },
    trustProxy: options.trustProxy ?? false,
    exposeHeadRoutes: false,
    genReqId: newRequestId,
    // No child logger per request (its cost shows per request); log lines carry their own context.
    childLoggerFactory: (logger) => logger,
    requestIdHeader: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  // Bodies stay raw bytes: the MCP layer parses the envelope itself and may forward the bytes as they are.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(translateError);
  app.setNotFoundHandler((request, reply) => {
    if (options.navigationFallback?.(request, reply) === true) return reply;
    return reply.code(404).send({
      error: 'not_found',
      message: `No route for ${request.method} ${request.url.split('?')[0]}.`,
    });
  });

  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // The lane takes every JSON POST shaped like an MCP path: no other route may take one.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const segments = route.url.split('/');
    if (
      route.url !== MCP_ROUTE &&
      methods.includes('POST') &&
      segments.length === 4 &&
      (segments[3] === 'mcp' || segments[3]!.startsWith(':'))
    )
      throw new Error(`POST ${route.url} would be shadowed by the MCP POST lane`);
  });

  // Callback style: an async hook costs a promise and a microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (!isMcpPath(request.url)) return done();
    try {
      options.originGuard.check(request.headers.origin, request.headers.host);
    } catch (error) {
      return done(error as Error);
    }
    setCors(request, reply, options.originGuard);
    done();
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await options.isReady().catch(() => false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });

  for (const register of options.routeModules ?? []) register(app);
  app.route<{ Params: McpRequest['params'] }>({
    method: ['GET', 'POST', 'DELETE'],
    url: MCP_ROUTE,
    handler: options.mcpHandler,
  });
  app.route({
    method: 'OPTIONS',
    url: MCP_ROUTE,
    handler: async (request, reply) => {
      reply.header('allow', MCP_METHODS);
      if (
        request.headers.origin !== undefined &&
        options.originGuard.allows(request.headers.origin)
      ) {
        reply.header('access-control-allow-methods', MCP_METHODS);
        reply.header(
          'access-control-allow-headers',
          request.headers['access-control-request-headers'] ?? MCP_REQUEST_HEADERS,
        );
        reply.header('access-control-max-age', '600');
      }
      return reply.code(204).send();
    },
  });
  app.route({
    method: ['HEAD', 'PUT', 'PATCH'],
    url: MCP_ROUTE,
    handler: async () => {
      throw new GatewayError('method_not_allowed', `Method Not Allowed: use ${MCP_METHODS}.`, {
        headers: { allow: MCP_METHODS },
      });
    },
  });
  return app;
}
