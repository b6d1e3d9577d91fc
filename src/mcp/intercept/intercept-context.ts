/**
 * Builds the interceptor chain of one MCP call and decorates its upstream.
 * With no interceptor for the call the upstream is returned as it is, so the
 * hot path pays nothing for policy it does not have.
 */
import type { Principal } from '../../auth/resource/principal.ts';
import type { LegacySessions } from '../../session/legacy-session.ts';
import { META } from '../../session/protocol-version.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { isObject } from '../json-rpc.ts';
import type { McpRequest } from '../mcp-call.ts';
import type { JsonObject } from '../json-rpc.ts';
import { interceptUpstream } from './intercept-upstream.ts';
import type { InterceptContext, Interceptor, InterceptorSource } from './interceptor.ts';

export interface InterceptedCall {
  readonly server: ServerDefinition;
  readonly principal: Principal;
  readonly record: RequestRecord;
  readonly request: McpRequest;
}

function bodyParams(request: McpRequest): JsonObject | undefined {
  const body = request.body;
  if (!Buffer.isBuffer(body) && typeof body !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    return isObject(value) && isObject(value.params) ? value.params : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Client capabilities, worked out only when an interceptor asks: legacy from
 * the sealed session (or the initialize being served), modern from the
 * request's `_meta`.
 */
function clientCapabilities(
  call: InterceptedCall,
  sessions: LegacySessions,
): JsonObject | undefined {
  const sessionId = call.request.headers['mcp-session-id'];
  if (call.record.era === 'legacy' && typeof sessionId === 'string' && sessionId !== '') {
    const session = sessions.open(sessionId, call.server.workspaceId, call.server.id);
    return session !== undefined && session.pid === call.principal.id ? session.caps : undefined;
  }
  const params = bodyParams(call.request);
  if (params === undefined) return undefined;
  if (call.record.era === 'legacy')
    return isObject(params.capabilities) ? params.capabilities : undefined;
  const meta = params._meta;
  const caps = isObject(meta) ? meta[META.clientCapabilities] : undefined;
  return isObject(caps) ? caps : undefined;
}

/**
 * A class, not an object literal: a literal with getters is built by V8's slow
 * path (about 1 µs per call, measured), a class instance in tens of ns. The
 * getters read public fields, not #private ones, because client-asks.ts
 * derives a context from this one with `Object.create`.
 */
class CallContext implements InterceptContext {
  readonly server: ServerDefinition;
  readonly principal: Principal;
  readonly record: RequestRecord;
  readonly call: InterceptedCall;
  readonly sessions: LegacySessions;
  caps: { value: JsonObject | undefined } | undefined = undefined;

  constructor(call: InterceptedCall, sessions: LegacySessions) {
    this.server = call.server;
    this.principal = call.principal;
    this.record = call.record;
    this.call = call;
    this.sessions = sessions;
  }

  get era(): 'legacy' | 'modern' {
    return this.call.record.era;
  }

  get clientCapabilities(): JsonObject | undefined {
    this.caps ??= { value: clientCapabilities(this.call, this.sessions) };
    return this.caps.value;
  }
}

export function createInterceptContext(
  call: InterceptedCall,
  sessions: LegacySessions,
): InterceptContext {
  return new CallContext(call, sessions);
}

/** Gathers the rest of the sources' interceptors once one of them has to be awaited. */
async function gatherAsync(
  interceptors: Interceptor[],
  pending: Promise<readonly Interceptor[]>,
  sources: readonly InterceptorSource[],
  next: number,
  call: InterceptedCall,
): Promise<Interceptor[]> {
  interceptors.push(...(await pending));
  for (let i = next; i < sources.length; i++) {
    const some = sources[i]!.interceptorsFor(call.server, call.principal);
    interceptors.push(...(some instanceof Promise ? await some : some));
  }
  return interceptors;
}

function decorated(
  upstream: Upstream,
  interceptors: readonly Interceptor[],
  call: InterceptedCall,
  sessions: LegacySessions,
): Upstream {
  if (interceptors.length === 0) return upstream;
  return interceptUpstream(upstream, interceptors, createInterceptContext(call, sessions));
}

/**
 * The call's upstream behind every interceptor its sources give; undecorated
 * when there are none. Synchronous when every source answers from its cache,
 * so a warm call pays no promise here (callers check `instanceof Promise`).
 */
export function interceptedUpstream(
  upstream: Upstream,
  sources: readonly InterceptorSource[],
  call: InterceptedCall,
  sessions: LegacySessions,
): Upstream | Promise<Upstream> {
  const interceptors: Interceptor[] = [];
  for (let i = 0; i < sources.length; i++) {
    const some = sources[i]!.interceptorsFor(call.server, call.principal);
    if (some instanceof Promise)
      return gatherAsync(interceptors, some, sources, i + 1, call).then((all) =>
        decorated(upstream, all, call, sessions),
      );
    for (const interceptor of some) interceptors.push(interceptor);
  }
  return decorated(upstream, interceptors, call, sessions);
}
