/**
 * The capability policy on the wire: lists filtered page by page (every other
 * field, `nextCursor` included, untouched), tool overrides applied, and calls
 * to anything hidden refused as if it did not exist. Discovery and invocation
 * ask the same PolicyView, so a member can call exactly what they are shown.
 */
import { errorResponse, isObject, resultResponse } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import type { Interceptor, RequestVerdict } from '../mcp/intercept/interceptor.ts';
import {
  malformedParamError,
  unknownPromptError,
  unknownResourceError,
  unknownTemplateError,
  unknownToolError,
} from './hidden-items.ts';
import { upstreamDefinition } from './presented-tool.ts';
import type { PolicyView } from './policy-view.ts';
import { toolHash } from './tool-pinning.ts';

export interface PolicyObserver {
  /** A tool definition in a `tools/list` answer: pins learn what the upstream shows. */
  observeTool(upstreamName: string, hash: string, tool: JsonObject): void;
}

const LIST_METHODS = new Set([
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
]);

function refuse(message: JsonRpcRequest, error: JsonRpcResponse['error']): RequestVerdict {
  return { kind: 'answer', message: errorResponse(message.id, error!) };
}

function stringParam(message: JsonRpcRequest, field: string): string | undefined {
  const value = message.params?.[field];
  return typeof value === 'string' ? value : undefined;
}

function withItems(response: JsonRpcResponse, field: string, items: unknown[]): JsonRpcResponse {
  const result: JsonObject = { ...response.result, [field]: items };
  // The list now depends on who asks (2026-07-28 basic/index "Caching": `private` then).
  if ('cacheScope' in result) result.cacheScope = 'private';
  return { ...response, result };
}

/** Items of a list result that are objects; anything else is dropped (it names nothing a member may use). */
function itemsOf(response: JsonRpcResponse, field: string): JsonObject[] | undefined {
  const items = response.result?.[field];
  return Array.isArray(items) ? items.filter(isObject) : undefined;
}

function presentTool(view: PolicyView, tool: JsonObject, shown: string): JsonObject {
  const rule = view.toolRule(tool.name as string);
  if (rule === undefined) return tool;
  const out: JsonObject = { ...tool, name: shown };
  if (rule.title !== undefined) out.title = rule.title;
  if (rule.description !== undefined) out.description = rule.description;
  if (rule.annotations !== undefined)
    out.annotations = {
      ...(isObject(tool.annotations) ? tool.annotations : {}),
      ...rule.annotations,
    };
  return out;
}

export function createPolicyInterceptor(view: PolicyView, observer: PolicyObserver): Interceptor {
  const filterTools = (response: JsonRpcResponse): JsonRpcResponse => {
    const tools = itemsOf(response, 'tools');
    if (tools === undefined) return response;
    const shownTools: JsonObject[] = [];
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      // Seen definitions are recorded with or without pinning: the admin API lists them.
      const upstream = upstreamDefinition(tool);
      const hash = toolHash(upstream);
      observer.observeTool(tool.name, hash, upstream);
      const shown = view.toolShownAs(tool.name, hash);
      if (shown !== undefined) shownTools.push(presentTool(view, tool, shown));
    }
    return withItems(response, 'tools', shownTools);
  };

  const filterBy = (
    response: JsonRpcResponse,
    field: string,
    key: string,
    visible: (name: string) => boolean,
  ): JsonRpcResponse => {
    const items = itemsOf(response, field);
    if (items === undefined) return response;
    return withItems(
      response,
      field,
      items.filter((item) => typeof item[key] === 'string' && visible(item[key])),
    );
  };

  return {
    name: 'policy',
    responseFor: (request) => LIST_METHODS.has(request.method),
    onRequest(message) {
      switch (message.method) {
        case 'tools/call': {
          const name = stringParam(message, 'name');
          if (name === undefined)
            return refuse(message, malformedParamError(message.method, 'name'));
          const upstream = view.toolCalled(name);
          if (upstream === undefined) return refuse(message, unknownToolError(name));
          if (upstream !== name)
            return {
              kind: 'forward',
              message: { ...message, params: { ...message.params, name: upstream } },
            };
          break;
        }
        case 'prompts/get': {
          const name = stringParam(message, 'name');
          if (name === undefined)
            return refuse(message, malformedParamError(message.method, 'name'));
          if (!view.promptVisible(name)) return refuse(message, unknownPromptError(name));
          break;
        }
        case 'resources/read': {
          const uri = stringParam(message, 'uri');
          if (uri === undefined) return refuse(message, malformedParamError(message.method, 'uri'));
          if (!view.resourceVisible(uri)) return refuse(message, unknownResourceError(uri));
          break;
        }
        case 'resources/subscribe':
        case 'resources/unsubscribe': {
          // SDK servers accept a subscription to any URI, known or not; so does the
          // gateway for a hidden one, whose updates it then never passes on.
          const uri = stringParam(message, 'uri');
          if (uri === undefined) return refuse(message, malformedParamError(message.method, 'uri'));
          if (!view.resourceVisible(uri))
            return { kind: 'answer', message: resultResponse(message.id, {}) };
          break;
        }
        case 'completion/complete': {
          // Completing an argument of a hidden prompt or resource template would reveal it.
          const ref = message.params?.ref;
          if (!isObject(ref)) break;
          if (ref.type === 'ref/prompt') {
            if (typeof ref.name !== 'string')
              return refuse(message, malformedParamError(message.method, 'ref.name'));
            if (!view.promptVisible(ref.name)) return refuse(message, unknownPromptError(ref.name));
          }
          if (ref.type === 'ref/resource') {
            if (typeof ref.uri !== 'string')
              return refuse(message, malformedParamError(message.method, 'ref.uri'));
            // An SDK upstream completes a plain resource's URI too (empty values), so
            // a URI without a template variable is also judged as the resource it names.
            if (
              !view.templateVisible(ref.uri) ||
              (!ref.uri.includes('{') && !view.resourceVisible(ref.uri))
            )
              return refuse(message, unknownTemplateError(ref.uri));
          }
          break;
        }
      }
      return { kind: 'forward', message };
    },
    onResponse(response, request) {
      if (response.result === undefined) return response;
      switch (request.method) {
        case 'tools/list':
          return filterTools(response);
        case 'resources/list':
          return filterBy(response, 'resources', 'uri', view.resourceVisible);
        case 'resources/templates/list':
          return filterBy(response, 'resourceTemplates', 'uriTemplate', view.templateVisible);
        case 'prompts/list':
          return filterBy(response, 'prompts', 'name', view.promptVisible);
        default:
          return response;
      }
    },
    onServerMessage(message) {
      // Updates about a hidden resource would name it.
      if (
        'method' in message &&
        message.method === 'notifications/resources/updated' &&
        isObject(message.params) &&
        typeof message.params.uri === 'string' &&
        !view.resourceVisible(message.params.uri)
      )
        return undefined;
      return message;
    },
  };
}
