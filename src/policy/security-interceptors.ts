/**
 * The `security` section of a server's policy, enforced as one interceptor
 * (it runs after the capability policy, so it sees upstream tool names):
 *
 *   request:  size limit → read-only → argument constraint → confirmation → timeout
 *   response: tools/list remembered, filtered (read-only) and narrowed
 *             (constraints) → size limit
 *
 * A server without a security section gets no interceptor at all.
 */
import type { Principal } from '../auth/resource/principal.ts';
import type { MemberAccess } from '../auth/resource/member-access.ts';
import type {
  InterceptContext,
  Interceptor,
  InterceptorSource,
  RequestVerdict,
} from '../mcp/intercept/interceptor.ts';
import { errorResponse, isObject } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { gatewayErrorResponse } from '../mcp/reply.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Role, ServerDefinition } from '../store/model.ts';
import type { ArgumentValidator } from './argument-constraints.ts';
import { createArgumentValidator, narrowInputSchema } from './argument-constraints.ts';
import type { Confirmation } from './confirmation.ts';
import { unknownToolError } from './hidden-items.ts';
import { presentedFrom } from './presented-tool.ts';
import type { SecurityPolicy } from './security-policy.ts';
import { isDestructiveTool, isReadOnlyTool, toolSettings } from './security-settings.ts';
import type { ToolCatalogue } from './security-tool-catalogue.ts';

/** The parts of a server's policy document this interceptor reads. */
export interface SecurityDocument {
  readonly security?: SecurityPolicy | undefined;
  /** Admins' annotation overrides (e.g. `readOnlyHint`) count when judging a tool. */
  readonly tools?: Readonly<Record<string, { readonly annotations?: JsonObject | undefined }>>;
}

export interface SecurityInterceptorsDeps {
  /** The server's current policy document, if it has one. */
  readonly policyOf: (
    server: ServerDefinition,
  ) => SecurityDocument | undefined | Promise<SecurityDocument | undefined>;
  readonly members: Pick<MemberAccess, 'find'>;
  readonly catalogue: ToolCatalogue;
  /**
   * The definition the upstream last showed for a tool, as stored (tool
   * pins): what this instance's catalogue does not hold yet, after a
   * restart or when the listing went to another instance.
   */
  readonly storedTool?: (
    server: ServerDefinition,
    name: string,
  ) => Promise<JsonObject | null | undefined>;
  readonly confirmation: Confirmation;
  readonly validator?: ArgumentValidator;
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function hasConstraints(policy: SecurityPolicy): boolean {
  return Object.values(policy.tools ?? {}).some((tool) => tool.argument_constraints !== undefined);
}

function isEmpty(policy: SecurityPolicy): boolean {
  return Object.values(policy).every(
    (value) => value === undefined || (isObject(value) && Object.keys(value).length === 0),
  );
}

function toolOf(message: JsonRpcRequest): string | null {
  const name = message.params?.name;
  return message.method === 'tools/call' && typeof name === 'string' ? name : null;
}

export function createSecurityInterceptors(deps: SecurityInterceptorsDeps): InterceptorSource {
  const validator = deps.validator ?? createArgumentValidator();

  function build(
    policy: SecurityPolicy,
    document: SecurityDocument,
    server: ServerDefinition,
    role: Role | null,
  ): Interceptor {
    const serverKey = `${server.workspaceId}/${server.id}`;
    const known = async (name: string): Promise<JsonObject | undefined> => {
      const cached = deps.catalogue.find(serverKey, name);
      if (cached !== undefined || deps.storedTool === undefined) return cached;
      const stored = await deps.storedTool(server, name);
      if (stored === null || stored === undefined) return undefined;
      deps.catalogue.remember(serverKey, [stored]);
      return stored;
    };
    /** The tool as judged: the upstream's definition with the admins' annotation overrides. */
    const judged = (name: string, tool: JsonObject | undefined): JsonObject | undefined => {
      const override = document.tools?.[name]?.annotations;
      if (override === undefined) return tool;
      const annotations = isObject(tool?.annotations) ? tool.annotations : {};
      return { ...tool, annotations: { ...annotations, ...override } };
    };
    const refuse = (message: JsonRpcRequest, error: GatewayError): RequestVerdict => ({
      kind: 'answer',
      message: gatewayErrorResponse(message.id, error),
    });

    function listedTools(response: JsonRpcResponse): JsonRpcResponse {
      const tools = response.result?.tools;
      if (!Array.isArray(tools)) return response;
      const objects = tools.filter(isObject);
      deps.catalogue.remember(serverKey, objects);
      const shown = objects
        .filter(
          (tool) => policy.read_only !== true || isReadOnlyTool(judged(String(tool.name), tool)),
        )
        .map((tool) => {
          const { constraint } = toolSettings(policy, String(tool.name), role);
          return constraint === undefined
            ? tool
            : presentedFrom(tool, {
                ...tool,
                inputSchema: narrowInputSchema(tool.inputSchema, constraint),
              });
        });
      return { ...response, result: { ...response.result, tools: shown } };
    }

    return {
      name: 'security',
      asks:
        policy.confirm_destructive === true ||
        Object.values(policy.tools ?? {}).some((tool) => tool.confirm_destructive === true),
      async onRequest(message: JsonRpcRequest, context: InterceptContext): Promise<RequestVerdict> {
        const tool = toolOf(message);
        const settings = toolSettings(policy, tool, role);
        if (settings.maxRequestBytes !== undefined) {
          const size = bytes(message);
          if (size > settings.maxRequestBytes)
            return refuse(
              message,
              new GatewayError(
                'message_too_large',
                `The request is ${size} bytes; ${tool === null ? 'this server' : `"${tool}"`} accepts at most ${settings.maxRequestBytes}.`,
                { data: { bytes: size, limit: settings.maxRequestBytes } },
              ),
            );
        }
        const timed = (verdict: RequestVerdict): RequestVerdict =>
          settings.timeoutMs === undefined || verdict.kind === 'answer'
            ? verdict
            : { ...verdict, timeoutMs: settings.timeoutMs };
        if (tool === null) return timed({ kind: 'forward', message });
        // The definition may take a store read: fetched only when read-only or confirmation asks.
        const definition =
          policy.read_only === true || settings.confirmDestructive
            ? judged(tool, await known(tool))
            : undefined;
        if (policy.read_only === true && !isReadOnlyTool(definition))
          // Read-only mode hides the tool: refused exactly as the policy refuses a hidden one.
          return { kind: 'answer', message: errorResponse(message.id, unknownToolError(tool)) };
        if (settings.constraint !== undefined) {
          try {
            validator.check(tool, message.params?.arguments, settings.constraint);
          } catch (error) {
            return refuse(message, error as GatewayError);
          }
        }
        if (settings.confirmDestructive && isDestructiveTool(definition))
          return timed(await deps.confirmation.confirm(message, tool, context));
        return timed({ kind: 'forward', message });
      },
      onResponse(response: JsonRpcResponse, request: JsonRpcRequest): JsonRpcResponse {
        const answer = request.method === 'tools/list' ? listedTools(response) : response;
        const tool = toolOf(request);
        const { maxResponseBytes } = toolSettings(policy, tool, role);
        if (maxResponseBytes === undefined) return answer;
        const size = bytes(answer);
        if (size <= maxResponseBytes) return answer;
        return gatewayErrorResponse(
          answer.id,
          new GatewayError(
            'response_too_large',
            `The upstream's answer is ${size} bytes; ${tool === null ? 'this server' : `"${tool}"`} may return at most ${maxResponseBytes}.`,
            { data: { bytes: size, limit: maxResponseBytes } },
          ),
        );
      },
    };
  }

  const none: readonly Interceptor[] = [];

  /** What one document asks for, worked out once; its interceptors by server and role. */
  interface Prepared {
    readonly policy: SecurityPolicy | undefined;
    /** Argument constraints are per role: only then is the caller's membership looked up. */
    readonly constrained: boolean;
    readonly byServer: WeakMap<ServerDefinition, Map<Role | null, readonly Interceptor[]>>;
  }
  // The interceptor keeps no per-call state: one per (document, server, role), rebuilt
  // when the policy source re-reads a changed document or the server definition is replaced.
  const prepared = new WeakMap<SecurityDocument, Prepared>();

  const prepare = (document: SecurityDocument): Prepared => {
    let found = prepared.get(document);
    if (found === undefined) {
      const policy = document.security;
      found = {
        policy: policy === undefined || isEmpty(policy) ? undefined : policy,
        constrained: policy !== undefined && hasConstraints(policy),
        byServer: new WeakMap(),
      };
      prepared.set(document, found);
    }
    return found;
  };

  const forRole = (
    entry: Prepared,
    policy: SecurityPolicy,
    document: SecurityDocument,
    server: ServerDefinition,
    role: Role | null,
  ): readonly Interceptor[] => {
    let byRole = entry.byServer.get(server);
    if (byRole === undefined) {
      byRole = new Map();
      entry.byServer.set(server, byRole);
    }
    let interceptors = byRole.get(role);
    if (interceptors === undefined) {
      interceptors = [build(policy, document, server, role)];
      byRole.set(role, interceptors);
    }
    return interceptors;
  };

  // Synchronous while the document and the membership are cached: no promise on the hot path.
  const forDocument = (
    document: SecurityDocument | undefined,
    server: ServerDefinition,
    principal: Principal,
  ): readonly Interceptor[] | Promise<readonly Interceptor[]> => {
    if (document === undefined) return none;
    const entry = prepare(document);
    const policy = entry.policy;
    if (policy === undefined) return none;
    if (!entry.constrained) return forRole(entry, policy, document, server, null);
    const member = deps.members.find(server.workspaceId, principal.userId);
    return member instanceof Promise
      ? member.then((found) => forRole(entry, policy, document, server, found?.role ?? null))
      : forRole(entry, policy, document, server, member?.role ?? null);
  };

  return {
    interceptorsFor(server, principal) {
      const document = deps.policyOf(server);
      return document instanceof Promise
        ? document.then((found) => forDocument(found, server, principal))
        : forDocument(document, server, principal);
    },
  };
}
