/**
 * One legacy HTTP+SSE connection (MCP 2024-11-05 basic/transports "HTTP with
 * SSE"): a GET whose first `endpoint` event names the URI to POST messages
 * to, POSTs answered 202, and every server message sent as an SSE `message`
 * event on that one GET stream, handed to the router (legacy-sse-router.ts).
 */
import crypto from 'node:crypto';
import { isNotification } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage, JsonRpcRequest } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import { discard, failureFor, parseMessage } from './http-client.ts';
import type { HttpClient, ReplyBody } from './http-client.ts';
import { createMessageRouter } from './legacy-sse-router.ts';
import type { Exchange, UpstreamLog } from './legacy-sse-router.ts';
import { parseSse } from './sse-parser.ts';
import { IDENTITY_HEADER } from './upstream.ts';
import type { StreamedMessage, UpstreamCall } from './upstream.ts';

export interface LegacySseConnection {
  /** Opaque id minted by the gateway; the upstream's own session id never leaves this module. */
  readonly id: string;
  readonly live: boolean;
  /** When it was last used, or undefined while a request or a listener holds it. */
  idleSince(): number | undefined;
  /** Registers requests before they are POSTed, since answers may beat the 202. */
  expect(requests: JsonRpcRequest[], call: UpstreamCall): Exchange;
  /** POSTs one message to the endpoint: 'gone' when the upstream no longer knows the session. */
  send(message: JsonRpcMessage, call: UpstreamCall): Promise<'sent' | 'gone'>;
  /** The messages no request claims, until `signal` aborts or the connection closes; throws when closed. */
  listen(signal?: AbortSignal): AsyncIterable<StreamedMessage>;
  /** Ends the GET; requests in flight and listeners fail with `reason`. */
  close(reason: GatewayError): void;
}

export interface ConnectionDeps {
  /** For the POSTs. */
  readonly client: HttpClient;
  /** For the GETs: each holds a socket for as long as the session lives. */
  readonly streams: HttpClient;
  readonly serverKey: string;
  readonly log: UpstreamLog;
  /** The server's static upstream headers (upstream_auth), on the GET and every POST. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  onClosed(connection: LegacySseConnection): void;
}

function resolveEndpoint(data: string, base: URL, serverKey: string): string {
  let target: URL;
  try {
    target = new URL(data.trim(), base);
  } catch {
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${serverKey} named a message endpoint that is not a URI.`,
    );
  }
  // The pool and the SSRF check are bound to the configured origin.
  if (target.origin !== base.origin)
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${serverKey} named a message endpoint on another origin (${target.origin}).`,
    );
  return `${target.pathname}${target.search}`;
}

function postHeaders(
  call: UpstreamCall,
  statics: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { ...statics, ...call.headers };
  delete headers['last-event-id'];
  headers.accept = 'application/json, text/event-stream';
  headers['content-type'] = 'application/json';
  return headers;
}

/**
 * The GET carries the static headers and the identity of the caller who
 * opened the session; the gateway's own per-message headers do not apply.
 */
function streamHeaders(
  statics: Readonly<Record<string, string>> | undefined,
  call: UpstreamCall,
): Record<string, string> {
  const identity = call.headers?.[IDENTITY_HEADER];
  return {
    ...statics,
    ...(identity === undefined ? {} : { [IDENTITY_HEADER]: identity }),
    accept: 'text/event-stream',
  };
}

export async function openLegacySseConnection(
  deps: ConnectionDeps,
  call: UpstreamCall,
): Promise<LegacySseConnection> {
  const { client, streams, serverKey, log } = deps;
  // The GET outlives this call: the call's deadline and signal only guard the
  // opening, enforced here since undici's own timers are coarse below a second.
  const opening = new AbortController();
  let failure: GatewayError | undefined;
  let stop = (reason: GatewayError): void => {
    failure = reason;
    opening.abort();
  };
  const onDeadline = (): void =>
    stop(
      new GatewayError(
        'upstream_timeout',
        `The upstream ${serverKey} did not open its event stream within ${call.timeoutMs} ms.`,
      ),
    );
  const onAbort = (): void =>
    stop(new GatewayError('upstream_unavailable', 'The upstream request was cancelled.'));
  const deadline = setTimeout(onDeadline, call.timeoutMs);
  call.signal?.addEventListener('abort', onAbort, { once: true });
  const release = (): void => {
    clearTimeout(deadline);
    call.signal?.removeEventListener('abort', onAbort);
  };
  if (call.signal?.aborted) onAbort();
  let body: ReplyBody;
  try {
    const reply = await streams.exchange({
      method: 'GET',
      headers: streamHeaders(deps.headers, call),
      timeoutMs: call.timeoutMs,
      bodyTimeoutMs: 0,
      signal: opening.signal,
    });
    if (reply.status >= 300 || reply.contentType !== 'text/event-stream')
      throw await failureFor(reply.status, reply.body, serverKey, reply.headers);
    body = reply.body;
  } catch (error) {
    release();
    throw failure ?? error;
  }

  const id = crypto.randomBytes(18).toString('base64url');
  const endpoint = Promise.withResolvers<string>();
  endpoint.promise.catch(() => undefined);
  let endpointPath: string | undefined;
  let live = true;
  let lastActive = Date.now();
  const touch = (): void => {
    lastActive = Date.now();
  };

  const send = async (message: JsonRpcMessage, call: UpstreamCall): Promise<'sent' | 'gone'> => {
    touch();
    if (!live || endpointPath === undefined) return 'gone';
    const reply = await client.exchange({
      method: 'POST',
      path: endpointPath,
      headers: postHeaders(call, deps.headers),
      body: JSON.stringify(message),
      timeoutMs: call.timeoutMs,
      // undici's headersTimeout is coarse below a second; this deadline is not.
      signal: AbortSignal.any([
        AbortSignal.timeout(call.timeoutMs),
        ...(call.signal ? [call.signal] : []),
      ]),
    });
    if (reply.status >= 200 && reply.status < 300) {
      // Reading the short "Accepted" body keeps the pooled socket reusable.
      await reply.body.dump().catch(() => discard(reply.body));
      return 'sent';
    }
    if (reply.status === 404) {
      discard(reply.body);
      return 'gone';
    }
    throw await failureFor(reply.status, reply.body, serverKey, reply.headers);
  };

  const sendQuietly = (message: JsonRpcMessage, timeoutMs: number): void => {
    if (live) void send(message, { timeoutMs }).catch(() => undefined);
  };

  const router = createMessageRouter({ serverKey, log, sendQuietly, touch });

  const connection: LegacySseConnection = {
    id,
    get live() {
      return live;
    },
    idleSince: () => (router.busy() ? undefined : lastActive),

    expect(requests, call) {
      if (!live)
        throw new GatewayError('upstream_unavailable', `The upstream ${serverKey} session ended.`);
      return router.expect(requests, call);
    },

    async send(message, call) {
      if (isNotification(message) && message.method === 'notifications/cancelled')
        router.forget(message.params?.requestId);
      return send(message, call);
    },

    listen(signal) {
      if (!live) throw new GatewayError('session_not_found', 'The upstream session has ended.');
      return router.listen(signal);
    },

    close(reason) {
      if (!live) return;
      live = false;
      opening.abort();
      discard(body);
      endpoint.reject(reason);
      router.failAll(reason);
      deps.onClosed(connection);
    },
  };

  const pump = async (): Promise<void> => {
    let reason = new GatewayError(
      'upstream_unavailable',
      `The upstream ${serverKey} closed its event stream.`,
    );
    try {
      for await (const event of parseSse(body as AsyncIterable<Buffer>)) {
        if (event.event === 'endpoint') {
          if (endpointPath === undefined) {
            endpointPath = resolveEndpoint(event.data, client.url, serverKey);
            endpoint.resolve(endpointPath);
          }
          continue;
        }
        if (event.event !== 'message' || event.data === '') continue;
        let message: JsonRpcMessage;
        try {
          message = parseMessage(event.data, serverKey);
        } catch (error) {
          log.warn({ server: serverKey, err: error }, 'skipped an unreadable upstream message');
          continue;
        }
        router.route(message);
      }
      if (endpointPath === undefined)
        reason = new GatewayError(
          'upstream_unavailable',
          `The upstream ${serverKey} closed its event stream before naming a message endpoint.`,
        );
    } catch (error) {
      reason =
        error instanceof GatewayError
          ? error
          : new GatewayError(
              'upstream_unavailable',
              `The upstream ${serverKey} event stream broke off.`,
              { cause: error },
            );
    }
    connection.close(reason);
  };
  void pump();

  stop = (reason) => connection.close(reason);
  try {
    await endpoint.promise;
  } finally {
    release();
  }
  return connection;
}
