/**
 * Upstream OAuth on the wire (`upstream_auth.mode: oauth`): every call to the
 * upstream carries `Authorization: Bearer <the owner's upstream token>`.
 * Downstream credentials never travel upstream (the transports copy no
 * request header); this is the only Authorization the upstream sees.
 *
 * An upstream 401 gets one retry with a refreshed token; a second 401 marks
 * the connection broken. A missing or broken connection answers
 * `upstream_connection_required` with the connect URL, or, for clients that
 * declared `elicitation.url`, MCP 2025-11-25's URL elicitation error.
 */
import crypto from 'node:crypto';
import type { Principal } from '../resource/principal.ts';
import type { ServerDefinition } from '../../store/model.ts';
import { GatewayError, isGatewayError } from '../../shared/errors.ts';
import { UpstreamHttpError, discard, upstreamStatusOf } from '../../upstream/http-client.ts';
import type { Upstream, UpstreamCall } from '../../upstream/upstream.ts';
import type { ConnectionTokens } from './connections-tokens.ts';

export interface DownstreamClient {
  /** Whether the calling client declared `capabilities.elicitation.url` (MCP 2025-11-25). */
  acceptsUrlElicitation(): boolean;
}

/** A downstream client from its declared capabilities (worked out only when asked). */
export function downstreamClient(capabilities: () => unknown): DownstreamClient {
  return {
    acceptsUrlElicitation() {
      const caps = capabilities() as { elicitation?: { url?: unknown } } | undefined;
      const url = caps?.elicitation?.url;
      return typeof url === 'object' && url !== null;
    },
  };
}

export interface UpstreamOAuthCredentials {
  /** `upstream` itself unless `server` uses upstream OAuth. */
  upstreamFor(
    upstream: Upstream,
    server: ServerDefinition,
    principal: Principal,
    client?: DownstreamClient,
  ): Upstream;
}

/**
 * The transports carry the status of a refused call on the error
 * (src/upstream/http-client.ts `UpstreamHttpError`); the message is not read,
 * since it also quotes the upstream's own words.
 */
export function isUpstreamUnauthorized(error: unknown): boolean {
  return upstreamStatusOf(error) === 401;
}

/** The URL elicitation form of a connection-required error (MCP 2025-11-25, -32042). */
export function urlElicitationError(error: GatewayError): GatewayError {
  const url = error.data?.connect_url;
  if (typeof url !== 'string') return error;
  return new GatewayError('upstream_url_elicitation_required', error.message, {
    data: {
      ...error.data,
      elicitations: [
        {
          mode: 'url',
          elicitationId: crypto.randomUUID(),
          url,
          message: error.message,
        },
      ],
    },
  });
}

export function createUpstreamOAuthCredentials(deps: {
  tokens: ConnectionTokens;
}): UpstreamOAuthCredentials {
  const { tokens } = deps;
  return {
    upstreamFor(upstream, server, principal, client) {
      if (server.upstreamAuth.mode !== 'oauth' || server.transport === 'stdio') return upstream;

      const tokenFor = async (rejected?: string): Promise<string> => {
        try {
          return await tokens.accessTokenFor(
            server,
            principal,
            rejected === undefined ? {} : { rejected },
          );
        } catch (error) {
          if (
            isGatewayError(error) &&
            error.code === 'upstream_connection_required' &&
            client?.acceptsUrlElicitation() === true
          )
            throw urlElicitationError(error);
          throw error;
        }
      };
      const withToken = (call: UpstreamCall, token: string): UpstreamCall => ({
        ...call,
        headers: { ...call.headers, authorization: `Bearer ${token}` },
      });
      /** Runs `send` with a token; on a 401, once more with a refreshed one. */
      const authorized = async <T>(
        call: UpstreamCall,
        send: (call: UpstreamCall) => Promise<T>,
        refused: (result: T) => boolean = () => false,
      ): Promise<T> => {
        const token = await tokenFor();
        let first: T;
        try {
          first = await send(withToken(call, token));
          if (!refused(first)) return first;
        } catch (error) {
          if (!isUpstreamUnauthorized(error)) throw error;
        }
        const fresh = await tokenFor(token);
        let failure: unknown;
        try {
          const second = await send(withToken(call, fresh));
          if (!refused(second)) return second;
          failure = new UpstreamHttpError(
            401,
            `The upstream ${upstream.serverKey} answered HTTP 401 to a fresh token.`,
          );
        } catch (error) {
          if (!isUpstreamUnauthorized(error)) throw error;
          failure = error;
        }
        await tokens.markRefused(server, principal);
        // Now broken: the member gets the connect URL (a client's own grant is asked again).
        await tokenFor(fresh);
        throw failure;
      };

      return {
        serverKey: upstream.serverKey,
        ...(upstream.fixedEra === undefined ? {} : { fixedEra: upstream.fixedEra }),
        // A 401 with a JSON-RPC error body comes back as an outcome, not an error.
        post: (message, call) =>
          authorized(
            call,
            (c) => upstream.post(message, c),
            (outcome) => outcome.status === 401,
          ),
        listen: (call) => authorized(call, (c) => upstream.listen(c)),
        // Ending a session is best effort: without a token it still goes out.
        terminate: async (call) => {
          const token = await tokenFor().catch(() => undefined);
          return upstream.terminate(token === undefined ? call : withToken(call, token));
        },
        forward: (body, call) =>
          authorized(
            call,
            (c) => upstream.forward(body, c),
            (reply) => {
              if (reply.status !== 401) return false;
              discard(reply.body);
              return true;
            },
          ),
        close: () => upstream.close(),
      };
    },
  };
}
