/**
 * Legacy HTTP+SSE upstream (MCP 2024-11-05) behind the upstream port.
 *
 * An upstream session is one live GET connection on this instance, named by
 * an id the gateway mints and returns from `initialize`; the gateway seals it
 * into the downstream session like any upstream session id. A POST on an
 * unknown or dropped connection answers `session-gone`, and the mcp layer
 * re-initializes transparently. How server messages are attributed to
 * requests is described in legacy-sse-router.ts.
 *
 * The transport only exists in the 2025 era (`fixedEra`), so there is no
 * byte pass-through and no era probe.
 */
import { GatewayError } from '../shared/errors.ts';
import { isRequest, isResponse } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import { createHttpClient } from './http-client.ts';
import { openLegacySseConnection } from './legacy-sse-connection.ts';
import type { LegacySseConnection } from './legacy-sse-connection.ts';
import type { Exchange, UpstreamLog } from './legacy-sse-router.ts';
import type { AddressGuard } from './ssrf-guard.ts';
import type { StreamedMessage, Upstream, UpstreamCall, UpstreamOutcome } from './upstream.ts';

export interface LegacySseOptions {
  /** A connection with no request in flight and no listener closes after this long. */
  idleMs?: number;
  log?: UpstreamLog;
  /** Static headers (opened upstream_auth values) for every request to this upstream. */
  headers?: Readonly<Record<string, string>> | undefined;
}

const DEFAULT_IDLE_MS = 10 * 60_000;
const silent: UpstreamLog = { debug: () => undefined, warn: () => undefined };
const gone: UpstreamOutcome = { kind: 'session-gone', status: 404 };

/** Closes a connection that never became a session: initialize was refused, failed or abandoned. */
async function* closingUnlessInitialized(
  messages: AsyncIterable<StreamedMessage>,
  connection: LegacySseConnection,
): AsyncGenerator<StreamedMessage> {
  let initialized = false;
  try {
    for await (const item of messages) {
      if (item.message && isResponse(item.message) && item.message.error === undefined)
        initialized = true;
      yield item;
    }
  } finally {
    if (!initialized)
      connection.close(
        new GatewayError('upstream_unavailable', 'The upstream session was never initialized.'),
      );
  }
}

export function createLegacySseUpstream(
  serverKey: string,
  url: string,
  guard: AddressGuard,
  options: LegacySseOptions = {},
): Upstream {
  const client = createHttpClient(url, guard);
  // Open GETs never free their sockets, so they must not starve the POSTs' pool.
  const streams = createHttpClient(url, guard, { connections: null });
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const log = options.log ?? silent;
  const sessions = new Map<string, LegacySseConnection>();
  let sweeper: NodeJS.Timeout | undefined;

  const sweep = (): void => {
    const now = Date.now();
    for (const connection of [...sessions.values()]) {
      const since = connection.idleSince();
      if (since !== undefined && now - since >= idleMs)
        connection.close(
          new GatewayError('session_not_found', 'The upstream session was idle and has ended.'),
        );
    }
  };
  const onClosed = (connection: LegacySseConnection): void => {
    if (sessions.get(connection.id) === connection) sessions.delete(connection.id);
    if (sessions.size === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const open = async (call: UpstreamCall): Promise<LegacySseConnection> => {
    const connection = await openLegacySseConnection(
      { client, streams, serverKey, log, onClosed, headers: options.headers },
      call,
    );
    sessions.set(connection.id, connection);
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, Math.min(Math.max(idleMs / 4, 250), 60_000));
      sweeper.unref();
    }
    return connection;
  };
  const liveSession = (sessionId: string): LegacySseConnection | undefined => {
    const connection = sessions.get(sessionId);
    return connection?.live ? connection : undefined;
  };

  return {
    serverKey,
    fixedEra: 'legacy',

    async post(message, call) {
      const messages: JsonRpcMessage[] = Array.isArray(message) ? message : [message];
      const first = messages[0];
      const opensSession =
        !call.sessionId &&
        messages.length === 1 &&
        first !== undefined &&
        isRequest(first) &&
        first.method === 'initialize';
      let connection: LegacySseConnection | undefined;
      if (opensSession) connection = await open(call);
      else if (call.sessionId) connection = liveSession(call.sessionId);
      if (connection === undefined) return gone;

      const requests = messages.filter(isRequest);
      let exchange: Exchange | undefined;
      try {
        if (requests.length > 0) exchange = connection.expect(requests, call);
        // 2024-11-05 servers take one message per POST, so a batch goes out element by element.
        for (const outgoing of messages) {
          if ((await connection.send(outgoing, call)) === 'gone') {
            connection.close(
              new GatewayError('session_not_found', 'The upstream forgot the session.'),
            );
            return gone;
          }
        }
      } catch (error) {
        const failure =
          error instanceof GatewayError
            ? error
            : new GatewayError('upstream_unavailable', undefined, { cause: error });
        exchange?.abandon(failure);
        if (opensSession) connection.close(failure);
        throw failure;
      }
      if (exchange === undefined)
        return { kind: 'accepted', status: 202, sessionId: connection.id };
      return {
        kind: 'stream',
        status: 200,
        sessionId: connection.id,
        messages: opensSession
          ? closingUnlessInitialized(exchange.messages, connection)
          : exchange.messages,
      };
    },

    async listen(call) {
      // 2024-11-05 streams cannot be resumed, and there is no session to listen on without an id.
      if (call.headers?.['last-event-id'] !== undefined || !call.sessionId) return null;
      const connection = liveSession(call.sessionId);
      if (connection === undefined)
        throw new GatewayError(
          'session_not_found',
          'The upstream session has ended; initialize again.',
        );
      return connection.listen(call.signal);
    },

    async terminate(call) {
      if (!call.sessionId) return;
      sessions
        .get(call.sessionId)
        ?.close(new GatewayError('session_not_found', 'The upstream session was ended.'));
    },

    async forward() {
      throw new GatewayError(
        'unsupported_transport',
        `The upstream ${serverKey} speaks legacy HTTP+SSE, which has no pass-through.`,
      );
    },

    async close() {
      const reason = new GatewayError('unavailable', 'The gateway is shutting down.');
      for (const connection of [...sessions.values()]) connection.close(reason);
      await Promise.all([client.close(), streams.close()]);
    },
  };
}
