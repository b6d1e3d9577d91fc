/**
 * The OpenAPI 3.1 document of the admin API, generated from the same zod
 * schemas that validate requests, so the two cannot drift apart.
 */
import { z } from 'zod';
import { API_PREFIX } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { errorView } from './api-views.ts';

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** `/workspaces/:workspaceId` → `/workspaces/{workspaceId}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonObject[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !field.safeParse(undefined).success,
    schema: jsonSchema(field, 'input'),
  }));
}

/** Browser sessions must echo the CSRF token on unsafe methods; API keys need nothing more. */
function security(method: string): JsonObject[] {
  const session = method === 'GET' ? { session: [] } : { session: [], csrfToken: [] };
  return [session, { apiKey: [] }];
}

const errorResponse = (description: string): JsonObject => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operation(route: ApiRoute): JsonObject {
  const status = route.status ?? 200;
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:-]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    security: security(route.method),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }),
    responses: {
      [String(status)]:
        route.response === undefined || status === 204
          ? { description: 'Done.' }
          : {
              description: 'Success.',
              content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
            },
      '400': errorResponse('Invalid input (`bad_request`, field paths in the message) or body.'),
      '401': errorResponse('No valid credentials (`unauthorized`).'),
      '403': errorResponse('Role does not allow it (`forbidden`) or CSRF check failed.'),
      '404': errorResponse('Unknown, or not visible to the caller.'),
      '409': errorResponse('Conflicts with the current state (`conflict`).'),
    },
  };
}

export function buildOpenApiDocument(
  routes: readonly ApiRoute[],
  options: { publicUrl: string; sessionCookie: string },
): JsonObject {
  const paths: Record<string, JsonObject> = {
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This document',
        tags: ['meta'],
        security: [],
        responses: { '200': { description: 'The OpenAPI 3.1 document.' } },
      },
    },
  };
  for (const route of routes) {
    const path = openApiPath(API_PREFIX + route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis admin API',
      version: '1',
      description:
        'Accounts, workspaces, members, invitations, API keys and authorized apps. Authenticate with a browser session (plus X-CSRF-Token on unsafe methods; GET /api/v1/me returns the token) or Authorization: Bearer <API key>.',
    },
    servers: [{ url: options.publicUrl }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorView, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: options.sessionCookie },
        csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (pcl_…), acting as its user within its own workspace.',
        },
      },
    },
  };
}
