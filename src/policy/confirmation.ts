/**
 * Confirmation of destructive tools: before a call is forwarded, the member
 * is asked through elicitation.
 *
 * - A call going upstream in the 2025 shape (a 2025 client, or a 2026-07-28
 *   client bridged to a 2025 upstream) asks with an `elicitation/create`
 *   request on the call's own stream (`InterceptContext.ask`; the bridge's
 *   held call turns it into MRTR for a 2026-07-28 client), and waits.
 * - A call in the 2026-07-28 shape (a 2026-07-28 client, or a 2025 client
 *   bridged to a 2026-07-28 upstream, whose bridge asks the client) gets an
 *   MRTR `input_required` result carrying the elicitation and a sealed
 *   `requestState` bound to the principal, the server, the tool, a digest
 *   of the arguments and a deadline (MRTR: the state is attacker-controlled
 *   and MUST be integrity-protected); the retry with an accepting
 *   `inputResponses` entry is forwarded, without the retry fields.
 * - Clients without elicitation are refused, saying why (MCP: never rely on
 *   a capability the client did not declare, -32021).
 *
 * Accept confirms (unless the form says `confirm: false`); decline and
 * cancel refuse. A call carrying an upstream's own MRTR round (a
 * `requestState` that is not the gateway's) is confirmed like any other:
 * that round's `requestState` and `inputResponses` travel sealed inside the
 * gateway's state and are put back when the member accepts, so no made-up
 * `requestState` skips the question.
 *
 * An accepted state is single-use: its random id is spent in the shared
 * used-once set (every instance, until the state's deadline), so sending the
 * same state again runs nothing and is refused as a state that does not
 * match. A declined one is not spent: nothing ran.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { InterceptContext, RequestVerdict } from '../mcp/intercept/interceptor.ts';
import { isObject, resultResponse } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest } from '../mcp/json-rpc.ts';
import { gatewayErrorResponse } from '../mcp/reply.ts';
import { META } from '../session/protocol-version.ts';
import type { SealedBox } from '../session/sealed-box.ts';
import { createMemoryUsedOnce, type UsedOnce } from '../shared-state/used-once.ts';
import { GatewayError } from '../shared/errors.ts';

const PURPOSE = 'policy.confirmation';
/** The key of the gateway's entry in `inputRequests` / `inputResponses`. */
export const CONFIRM_KEY = 'portcullis.confirm';
const STATE_TTL_MS = 10 * 60_000;
/** How long a legacy client has to answer the elicitation. */
const ASK_TIMEOUT_MS = 5 * 60_000;

interface ConfirmationState {
  /** A random id, spent by the accepted retry. */
  n: string;
  /** principal id, server key, tool, arguments digest, deadline (epoch ms). */
  p: string;
  s: string;
  t: string;
  d: string;
  e: number;
  /** The upstream round's own requestState and inputResponses, if the call carried them. */
  u?: string;
  r?: JsonObject;
}

export interface ConfirmationDeps {
  readonly box: SealedBox;
  /** Shared by every instance (Redis when configured); this instance's own otherwise. */
  readonly usedOnce?: UsedOnce;
  readonly now?: () => number;
}

export interface Confirmation {
  /** The verdict for a call of a tool that needs confirmation. */
  confirm(
    message: JsonRpcRequest,
    tool: string,
    context: InterceptContext,
  ): Promise<RequestVerdict>;
}

function isModernShaped(message: JsonRpcRequest): boolean {
  const meta = message.params?._meta;
  return isObject(meta) && META.protocolVersion in meta;
}

function digest(args: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(args ?? {}))
    .digest('base64url');
}

export function elicitationRequest(
  tool: string,
  serverName: string,
): { method: 'elicitation/create'; params: JsonObject } {
  return {
    method: 'elicitation/create',
    params: {
      mode: 'form',
      message: `Allow the destructive tool "${tool}" of ${serverName} to run with these arguments?`,
      requestedSchema: {
        type: 'object',
        properties: {
          confirm: { type: 'boolean', title: `Run ${tool}`, default: true },
        },
      },
    },
  };
}

/** Accept confirms unless the form explicitly says `confirm: false`. */
function accepted(result: unknown): boolean {
  if (!isObject(result) || result.action !== 'accept') return false;
  return !(isObject(result.content) && result.content.confirm === false);
}

function refuse(message: JsonRpcRequest, error: GatewayError): RequestVerdict {
  return { kind: 'answer', message: gatewayErrorResponse(message.id, error) };
}

const mismatch = () =>
  new GatewayError(
    'invalid_params',
    'The confirmation does not match this call (another caller, tool or arguments, or it expired or was used already): call the tool again.',
  );

const declined = (tool: string) =>
  new GatewayError(
    'confirmation_declined',
    `The call of "${tool}" was not confirmed: the member declined or cancelled.`,
  );

/** The call as the upstream must see it: the gateway's retry fields out, the upstream round's back in. */
function upstreamCall(message: JsonRpcRequest, state: ConfirmationState): JsonRpcRequest {
  const { inputResponses: _responses, requestState: _state, ...params } = message.params ?? {};
  if (state.u !== undefined) params.requestState = state.u;
  if (state.r !== undefined) params.inputResponses = state.r;
  return { ...message, params };
}

export function createConfirmation(deps: ConfirmationDeps): Confirmation {
  const now = deps.now ?? Date.now;
  const usedOnce = deps.usedOnce ?? createMemoryUsedOnce(now);
  const serverKey = (context: InterceptContext) =>
    `${context.server.workspaceId}/${context.server.id}`;

  async function askLegacy(
    message: JsonRpcRequest,
    tool: string,
    context: InterceptContext,
  ): Promise<RequestVerdict> {
    if (context.ask === undefined)
      return refuse(
        message,
        new GatewayError(
          'confirmation_unavailable',
          `"${tool}" needs the member's confirmation, and this connection cannot ask for it.`,
        ),
      );
    const answer = await context.ask(elicitationRequest(tool, context.server.name), ASK_TIMEOUT_MS);
    return accepted(answer.result) ? { kind: 'forward', message } : refuse(message, declined(tool));
  }

  async function askModern(
    message: JsonRpcRequest,
    tool: string,
    context: InterceptContext,
  ): Promise<RequestVerdict> {
    const params = message.params ?? {};
    const args = params.arguments;
    if (typeof params.requestState === 'string') {
      const state = deps.box.open<ConfirmationState>(PURPOSE, params.requestState);
      if (state !== undefined) {
        if (
          typeof state.n !== 'string' ||
          state.p !== context.principal.id ||
          state.s !== serverKey(context) ||
          state.t !== tool ||
          state.d !== digest(args) ||
          state.e < now()
        )
          return refuse(message, mismatch());
        const responses = isObject(params.inputResponses) ? params.inputResponses : {};
        if (!accepted(responses[CONFIRM_KEY])) return refuse(message, declined(tool));
        try {
          if (!(await usedOnce.use(`confirm:${state.n}`, state.e)))
            return refuse(message, mismatch());
        } catch (error) {
          // Fails closed: unknown whether the state was spent, so it does not run.
          if (error instanceof GatewayError) return refuse(message, error);
          throw error;
        }
        return { kind: 'forward', message: upstreamCall(message, state) };
      }
    }
    const state: ConfirmationState = {
      n: randomBytes(16).toString('base64url'),
      p: context.principal.id,
      s: serverKey(context),
      t: tool,
      d: digest(args),
      e: now() + STATE_TTL_MS,
      ...(typeof params.requestState === 'string' && { u: params.requestState }),
      ...(isObject(params.inputResponses) && { r: params.inputResponses }),
    };
    return {
      kind: 'answer',
      message: resultResponse(message.id, {
        resultType: 'input_required',
        inputRequests: { [CONFIRM_KEY]: elicitationRequest(tool, context.server.name) },
        requestState: deps.box.seal(PURPOSE, state),
      }),
    };
  }

  return {
    async confirm(message, tool, context) {
      if (!isObject(context.clientCapabilities?.elicitation))
        return refuse(
          message,
          new GatewayError(
            'confirmation_unavailable',
            `"${tool}" is destructive and needs the member's confirmation through elicitation, which this client did not declare.`,
          ),
        );
      // The shape of the request going upstream decides, not the client's era:
      // the era bridges turn MRTR into pushed requests and back.
      return isModernShaped(message)
        ? askModern(message, tool, context)
        : askLegacy(message, tool, context);
    },
  };
}
