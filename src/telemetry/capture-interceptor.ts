/**
 * Capture mode `full` as an interceptor (mcp/intercept): the request's
 * arguments on the way up, the upstream's answer on the way down, both
 * redacted onto the record of the downstream message. Servers in `off` or
 * `metadata` mode get no interceptor at all, so they pay nothing.
 *
 * A 2025-03-26 batch is one record: the first request of it and that
 * request's answer are captured. Put this interceptor first in the chain:
 * it then sees the arguments as the client sent them and the answers other
 * interceptors give instead of the upstream (refusals, limits).
 */
import type { Interceptor, InterceptorSource } from '../mcp/intercept/interceptor.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { RequestRecord } from './request-record.ts';
import { DEFAULT_CAPTURE } from './capture-settings.ts';
import type { CaptureSettings } from './capture-settings.ts';
import type { Redact } from './redaction.ts';

/** Tool calls and prompt gets carry their input in `arguments`; everything else in `params`. */
function argumentsOf(request: JsonRpcRequest): unknown {
  const params: JsonObject | undefined = request.params;
  if (params === undefined) return null;
  if (
    (request.method === 'tools/call' || request.method === 'prompts/get') &&
    'arguments' in params
  )
    return params.arguments;
  const { _meta: _ignored, ...rest } = params;
  return rest;
}

function resultOf(response: JsonRpcResponse): unknown {
  return response.error !== undefined ? { error: response.error } : (response.result ?? null);
}

export function captureSettingsOf(server: ServerDefinition): CaptureSettings {
  return (server as { capture?: CaptureSettings }).capture ?? DEFAULT_CAPTURE;
}

/**
 * The request a record is about: one with the record's own method (not an
 * era probe or an upstream `initialize` the gateway sends on its own), the
 * first of a batch.
 */
function isRecordedRequest(record: RequestRecord, request: JsonRpcRequest): boolean {
  return record.method === request.method || record.method === '(batch)';
}

export function createCaptureInterceptor(masks: readonly string[], redact: Redact): Interceptor {
  // Which request of a call was captured, so its answer (and only its) is
  // captured too, and the secrets masked in its arguments, masked in the answer.
  const captured = new WeakMap<RequestRecord, { id: JsonRpcRequest['id']; secrets: Set<string> }>();
  return {
    name: 'capture',
    onRequest(message, context) {
      const { record } = context;
      if (!captured.has(record) && isRecordedRequest(record, message)) {
        const secrets = new Set<string>();
        captured.set(record, { id: message.id, secrets });
        record.arguments = redact('arguments', argumentsOf(message), masks, secrets);
      }
      return { kind: 'forward', message };
    },
    onResponse(response, request, context) {
      const { record } = context;
      const call = captured.get(record);
      if (record.result === null && call !== undefined && call.id === request.id)
        record.result = redact('result', resultOf(response), masks, call.secrets);
      return response;
    },
  };
}

export function createCaptureInterceptors(redact: Redact): InterceptorSource {
  // One interceptor per server definition: definitions are replaced, not mutated, on change.
  const built = new WeakMap<ServerDefinition, readonly Interceptor[]>();
  const none: readonly Interceptor[] = [];
  return {
    interceptorsFor(server) {
      const settings = captureSettingsOf(server);
      if (settings.mode !== 'full') return none;
      let interceptors = built.get(server);
      if (interceptors === undefined) {
        interceptors = [createCaptureInterceptor(settings.masks, redact)];
        built.set(server, interceptors);
      }
      return interceptors;
    },
  };
}
