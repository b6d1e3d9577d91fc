/**
 * Mounts oidc-provider's endpoints on Fastify at the origin root, where
 * 2025-03-26 clients fall back to (`/authorize`, `/token`, `/register`),
 * plus both discovery documents. Each route hands the raw request to the
 * provider; Fastify has already read the body into a Buffer, which
 * oidc-provider takes from `req.body` when the stream is consumed
 * (lib/shared/selective_body.js).
 *
 * `/register` runs the flood controls first (registration-limits.ts) and
 * gets CORS here: oidc-provider gives it none, and it is a cookie-less
 * endpoint that browser-based MCP clients call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../../ingress/create-app.ts';
import type { AccessTokenRevocation } from './access-token-revocation.ts';
import type { RegistrationLimits } from './registration-limits.ts';
import type { TokenResourceCheck } from './token-resource-check.ts';

type RawWithBody = IncomingMessage & { body?: unknown };

export interface ProviderRoutesDeps {
  callback: (req: IncomingMessage, res: ServerResponse) => void;
  limits: RegistrationLimits;
  /** Stored metadata of a client, for answering a duplicate registration. */
  findClientMetadata(clientId: string): Promise<Record<string, unknown> | undefined>;
  /** Remembers which registration request produced which client (see authorization-server.ts). */
  pendingRegistrations: WeakMap<IncomingMessage, string>;
  accessTokenRevocation: AccessTokenRevocation;
  tokenResourceCheck: TokenResourceCheck;
}

const PREFLIGHT_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/token',
  '/revoke',
  '/jwks',
];

function parseJsonObject(body: unknown): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(body)) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Registration metadata of real MCP clients is well under a kilobyte; the
 * name is shown on the consent page. Larger requests are refused whole
 * (RFC 7591 §3.2.2) before anything is stored. Client ID metadata documents
 * have their own 5 KiB fetch limit.
 */
const MAX_REGISTRATION_BYTES = 16 * 1024;
const MAX_CLIENT_NAME_LENGTH = 200;

function oversizedRegistration(
  raw: unknown,
  body: Record<string, unknown> | undefined,
): string | undefined {
  if (Buffer.isBuffer(raw) && raw.length > MAX_REGISTRATION_BYTES)
    return `client metadata must not exceed ${MAX_REGISTRATION_BYTES} bytes`;
  const clientName = body?.client_name;
  if (typeof clientName === 'string' && clientName.length > MAX_CLIENT_NAME_LENGTH)
    return `client_name must not exceed ${MAX_CLIENT_NAME_LENGTH} characters`;
  return undefined;
}

function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', ...headers })
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

function setCors(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  reply.header('access-control-allow-origin', origin);
  reply.header('vary', 'Origin');
}

export function createProviderRoutes(deps: ProviderRoutesDeps): RouteModule {
  const handOver = (request: FastifyRequest, reply: FastifyReply): void => {
    const raw = request.raw as RawWithBody;
    if (Buffer.isBuffer(request.body)) raw.body = request.body;
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    deps.callback(raw, reply.raw);
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => handOver(request, reply);

  return (app: FastifyInstance) => {
    app.get('/.well-known/openid-configuration', handler);
    app.get('/.well-known/oauth-authorization-server', handler);
    app.get('/jwks', handler);
    app.route({ method: ['GET', 'POST'], url: '/authorize', handler });
    app.get('/authorize/:uid', handler);
    app.post('/token', async (request, reply) => {
      const form = Buffer.isBuffer(request.body)
        ? new URLSearchParams(request.body.toString('utf8'))
        : new URLSearchParams();
      const refusal = await deps.tokenResourceCheck.refusal(form, request.headers.authorization);
      if (refusal === undefined) return handOver(request, reply);
      setCors(request, reply);
      return sendJson(reply, 400, refusal);
    });
    for (const url of PREFLIGHT_PATHS) app.options(url, handler);

    app.post('/revoke', async (request, reply) => {
      const form = Buffer.isBuffer(request.body)
        ? new URLSearchParams(request.body.toString('utf8'))
        : new URLSearchParams();
      const answer = await deps.accessTokenRevocation.handle({
        authorization: request.headers.authorization,
        form,
      });
      if (answer === undefined) return handOver(request, reply);
      setCors(request, reply);
      if (answer.body === undefined)
        return reply.code(answer.status).header('cache-control', 'no-store').send();
      return sendJson(reply, answer.status, answer.body);
    });

    app.options('/register', async (request, reply) => {
      setCors(request, reply);
      if (request.headers.origin !== undefined) {
        reply.header('access-control-allow-methods', 'POST');
        reply.header(
          'access-control-allow-headers',
          request.headers['access-control-request-headers'] ?? 'content-type, authorization',
        );
        reply.header('access-control-max-age', '600');
      }
      return reply.code(204).send();
    });

    app.post('/register', async (request, reply) => {
      setCors(request, reply);
      const body = parseJsonObject(request.body);
      const oversized = oversizedRegistration(request.body, body);
      if (oversized !== undefined)
        return sendJson(reply, 400, {
          error: 'invalid_client_metadata',
          error_description: oversized,
        });
      if (body !== undefined) {
        const key = deps.limits.dedupeKey(body);
        const duplicate = key === undefined ? undefined : await deps.limits.findDuplicate(key);
        if (duplicate !== undefined) {
          const metadata = await deps.findClientMetadata(duplicate);
          if (metadata !== undefined) return sendJson(reply, 201, metadata);
        }
        const clientName = typeof body.client_name === 'string' ? body.client_name : '';
        const decision = await deps.limits.take(request.ip, clientName);
        if (!decision.allowed) {
          return sendJson(
            reply,
            429,
            {
              error: 'temporarily_unavailable',
              error_description: `Too many client registrations; retry in ${decision.retryAfterSeconds} s.`,
            },
            { 'retry-after': String(decision.retryAfterSeconds) },
          );
        }
        if (key !== undefined) deps.pendingRegistrations.set(request.raw, key);
      }
      handOver(request, reply);
    });
  };
}
