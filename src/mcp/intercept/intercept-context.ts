/**
 * Builds the interceptor chain of one MCP call and decorates its upstream.
 * With no interceptor for the call the upstream is returned as it is, so the
 * hot path pays nothing for policy it does not have.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/resource/principal.ts';
import type { LegacySessions } from '../../session/legacy-session.ts';
import { META } from '../../session/protocol-version.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { Upstream } from '../../upstream/upstream.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject } from '../json-rpc.ts';
import { interceptUpstream } from './intercept-upstream.ts';
import type { InterceptContext, Interceptor, InterceptorSource } from './interceptor.ts';

export interface InterceptedCall {
  readonly server: ServerDefinition;
  readonly principal: Principal;
  readonly record: RequestRecord;
  readonly request: FastifyRequest;
}

function bodyParams(request: FastifyRequest): JsonObject | undefined {
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

export function createInterceptContext(
  call: InterceptedCall,
  sessions: LegacySessions,
): InterceptContext {
  let caps: { value: JsonObject | undefined } | undefined;
  return {
    server: call.server,
    principal: call.principal,
    record: call.record,
    get era() {
      return call.record.era;
    },
    get clientCapabilities() {
      caps ??= { value: clientCapabilities(call, sessions) };
      return caps.value;
    },
  };
}

/** The call's upstream behind every interceptor its sources give; undecorated when there are none. */
export async function interceptedUpstream(
  upstream: Upstream,
  sources: readonly InterceptorSource[],
  call: InterceptedCall,
  sessions: LegacySessions,
): Promise<Upstream> {
  const interceptors: Interceptor[] = [];
  for (const source of sources) {
    const some = source.interceptorsFor(call.server, call.principal);
    interceptors.push(...(some instanceof Promise ? await some : some));
  }
  if (interceptors.length === 0) return upstream;
  return interceptUpstream(upstream, interceptors, createInterceptContext(call, sessions));
}
