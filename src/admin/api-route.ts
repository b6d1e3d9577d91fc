/**
 * One admin API route, declared once: its zod schemas both validate the
 * request and document it (openapi.ts). Every request runs the same steps:
 * authenticate the caller, parse params, query and body, then the handler,
 * which authorizes against the workspace and acts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { callerActor } from '../audit/audit-context.ts';
import type { AuditContext } from '../audit/audit-context.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { StreamedBody } from './streamed-body.ts';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteInput<P, Q, B> {
  readonly caller: ApiCaller;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: FastifyRequest;
}

export interface ApiRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  readonly method: HttpMethod;
  /** Below API_PREFIX, Fastify syntax (`/workspaces/:workspaceId`). */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** 200 unless stated; 204 answers no body. */
  readonly status?: 200 | 201 | 204;
  /** Documents the success body; absent for 204. */
  readonly response?: z.ZodType;
  // Method syntax keeps routes with different schemas assignable to ApiRoute[].
  handle(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** Identity function that infers the handler's input types from the schemas. */
export function defineRoute<
  P extends z.ZodType = z.ZodObject<Record<string, never>>,
  Q extends z.ZodType = z.ZodObject<Record<string, never>>,
  B extends z.ZodType = z.ZodUndefined,
>(route: ApiRoute<P, Q, B>): ApiRoute {
  return route;
}

export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** 400 listing `body.servers.0: …` lines, so callers see which field is wrong. */
export function invalidInput(issues: readonly InputIssue[]): GatewayError {
  return new GatewayError(
    'bad_request',
    `Invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { data: { issues } },
  );
}

function fromZod(error: z.ZodError, where: string): GatewayError {
  return invalidInput(
    error.issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

function parsePart<T extends z.ZodType>(
  schema: T | undefined,
  value: unknown,
  where: string,
): z.output<T> | undefined {
  if (schema === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZod(parsed.error, where);
  return parsed.data;
}

/** No query parameter of the API is a list: a repeated one is a mistake, named as such. */
function singleValuedQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const repeated = Object.entries(query).filter(([, value]) => Array.isArray(value));
  if (repeated.length > 0)
    throw invalidInput(
      repeated.map(([name]) => ({ path: `query.${name}`, message: 'is given more than once' })),
    );
  return query;
}

/**
 * `JSON.parse` keeps `__proto__` as an own key, but every copy by assignment
 * (zod records among them) turns it into the copy's prototype: the entry
 * would vanish silently from a stored document. Refused instead.
 */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__')
    throw invalidInput([{ path: 'body', message: 'the key "__proto__" is not allowed' }]);
  return value;
}

function jsonBody(request: FastifyRequest): unknown {
  const raw = request.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  // The key can only appear spelt out or behind a \u escape.
  const mayHideProto = text.includes('__proto__') || text.includes('\\u');
  try {
    return mayHideProto ? JSON.parse(text, refuseProtoKey) : JSON.parse(text);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // A reviver walks the parsed value recursively: extreme nesting exhausts the stack.
    if (error instanceof RangeError)
      throw invalidInput([{ path: 'body', message: 'the JSON nests too deeply' }]);
    throw new GatewayError('parse_error');
  }
}

/** Who acts in a request that may change something: the audit log records it with each change. */
function auditContext(caller: ApiCaller, request: FastifyRequest, params: unknown): AuditContext {
  const workspaceId = (params as { workspaceId?: unknown } | undefined)?.workspaceId;
  return {
    actor: callerActor(caller),
    source: 'api',
    requestId: request.id,
    workspaceId:
      typeof workspaceId === 'string'
        ? workspaceId
        : caller.via === 'api_key'
          ? caller.apiKey.workspaceId
          : null,
  };
}

/**
 * `audit`: handlers of unsafe methods run as their caller (`actingAs`), so
 * every change they write through the audited store names who made it.
 */
export function registerApiRoutes(
  app: FastifyInstance,
  routes: readonly ApiRoute[],
  authenticate: (request: FastifyRequest) => Promise<ApiCaller>,
  audit?: AuditLog,
): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: API_PREFIX + route.path,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const caller = await authenticate(request);
        const params = parsePart(route.params, request.params, 'params');
        const query = parsePart(route.query, singleValuedQuery(request.query), 'query');
        const body = parsePart(route.body, jsonBody(request), 'body');
        const input = { caller, params, query, body, request };
        const result =
          audit === undefined || route.method === 'GET'
            ? await route.handle(input)
            : await audit.actingAs(auditContext(caller, request, params), () =>
                route.handle(input),
              );
        reply.header('cache-control', 'no-store');
        if (result instanceof StreamedBody)
          return reply
            .code(200)
            .type(result.contentType)
            .header('content-disposition', `attachment; filename="${result.fileName}"`)
            .send(result.stream);
        if (route.status === 204) return reply.code(204).send();
        return reply.code(route.status ?? 200).send(result);
      },
    });
  }
}
