/**
 * One MRTR round of a modern upstream, played to a 2025-era client (era
 * bridging, modern upstream → legacy client): each entry of the upstream's
 * `inputRequests` becomes a real server→client request on the stream of
 * the client's POST, with an id from the gateway's own namespace
 * (mcp/id-mapping toClientRequestId). The client answers each in a POST
 * of its own; the answers become the retry's `inputResponses`.
 */
import crypto from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import type { LegacySession } from '../../session/legacy-session.ts';
import { toClientRequestId } from '../id-mapping.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject, JsonRpcErrorObject } from '../json-rpc.ts';
import type { ClientAnswers } from './client-answers.ts';
import type { LazyReply } from './lazy-reply.ts';

export type ClientInput =
  | { kind: 'answered'; inputResponses: JsonObject }
  /** The client answered one of the requests with an error: the call fails with it. */
  | { kind: 'refused'; error: JsonRpcErrorObject };

/** 2025-11-25 URL-mode elicitation needs an `elicitationId`; the in-band 2026 shape has none. */
function legacyParams(method: string, params: unknown): JsonObject | undefined {
  if (!isObject(params)) return undefined;
  if (
    method === 'elicitation/create' &&
    params.mode === 'url' &&
    params.elicitationId === undefined
  )
    return { ...params, elicitationId: crypto.randomUUID() };
  return params;
}

export async function askLegacyClient(
  session: LegacySession,
  inputRequests: unknown,
  reply: LazyReply,
  answers: ClientAnswers,
  signal: AbortSignal,
): Promise<ClientInput> {
  const entries = Object.entries(isObject(inputRequests) ? inputRequests : {}).filter(
    (entry): entry is [string, JsonObject & { method: string }] =>
      isObject(entry[1]) && typeof entry[1].method === 'string',
  );
  const inputResponses: JsonObject = {};
  let refused: JsonRpcErrorObject | undefined;
  await Promise.all(
    entries.map(async ([key, request]) => {
      const id = toClientRequestId(`${session.tag}.${crypto.randomBytes(9).toString('base64url')}`);
      const params = legacyParams(request.method, request.params);
      const waiting = answers.wait(id, request.method, signal);
      if (
        !reply.send({
          jsonrpc: '2.0',
          id,
          method: request.method,
          ...(params === undefined ? {} : { params }),
        })
      ) {
        waiting.catch(() => undefined);
        throw new GatewayError('upstream_unavailable', 'The client closed the request.');
      }
      const answer = await waiting;
      if (answer.error) refused ??= answer.error;
      else inputResponses[key] = isObject(answer.result) ? answer.result : {};
    }),
  );
  return refused === undefined
    ? { kind: 'answered', inputResponses }
    : {
        kind: 'refused',
        error: {
          ...refused,
          message: `The client refused the server's request: ${refused.message}`,
        },
      };
}
