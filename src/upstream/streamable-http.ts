/**
 * Streamable HTTP upstream (both eras) on an undici Pool.
 */
import type { Readable } from 'node:stream';
import { errors as undiciErrors } from 'undici';
import { GatewayError } from '../shared/errors.ts';
import { toMessage } from '../mcp/json-rpc.ts';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import {
  UpstreamHttpError,
  createHttpClient,
  discard,
  failureFor,
  parseMessage,
  readBody,
} from './http-client.ts';
import type { HttpClient } from './http-client.ts';
import { UpstreamBodyError } from './buffering-dispatch.ts';
import { parseSse } from './sse-parser.ts';
import type { AddressGuard } from './ssrf-guard.ts';
import type { StreamedMessage, Upstream, UpstreamCall, UpstreamOutcome } from './upstream.ts';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function callHeaders(
  call: UpstreamCall,
  accept: string,
  statics: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  // The gateway builds every upstream request from scratch: nothing of the
  // downstream request (Authorization, Cookie) is copied, only `call.headers`.
  const headers: Record<string, string> = { ...statics, accept, ...call.headers };
  if (call.sessionId) headers['mcp-session-id'] = call.sessionId;
  if (call.protocolVersion) headers['mcp-protocol-version'] = call.protocolVersion;
  return headers;
}

/**
 * A failure while reading a reply body: silence for longer than the body
 * timeout is a timeout (progress events and keep-alives reset the clock);
 * anything else means the upstream broke off.
 */
function bodyFailure(error: unknown, serverKey: string, timeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof undiciErrors.BodyTimeoutError)
    return new GatewayError(
      'upstream_timeout',
      `The upstream ${serverKey} sent nothing for ${timeoutMs} ms.`,
      { cause: error },
    );
  return new GatewayError(
    'upstream_unavailable',
    `The upstream ${serverKey} broke off its answer.`,
    {
      cause: error,
    },
  );
}

async function* streamMessages(
  body: Readable,
  serverKey: string,
  timeoutMs: number,
): AsyncGenerator<StreamedMessage> {
  try {
    for await (const event of parseSse(body as AsyncIterable<Buffer>)) {
      if (event.event !== 'message') continue;
      const message = event.data === '' ? null : parseMessage(event.data, serverKey);
      yield { message, eventId: event.id, retry: event.retry };
    }
  } catch (error) {
    throw bodyFailure(error, serverKey, timeoutMs);
  } finally {
    discard(body);
  }
}

/**
 * A 2025-03-26 batch is answered with an array of responses, or with one
 * error for the whole batch. The batch handler reads `message` as either.
 */
function parseBatchAnswer(text: string, serverKey: string): JsonRpcMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseMessage(text, serverKey);
  }
  if (!Array.isArray(value)) return parseMessage(text, serverKey);
  try {
    return value.map(toMessage) as unknown as JsonRpcMessage;
  } catch {
    throw new GatewayError(
      'upstream_protocol_error',
      `The upstream ${serverKey} answered a batch with something other than JSON-RPC messages.`,
    );
  }
}

/**
 * Whether a 400 answer to a call that carried a session id says the session
 * is unknown. The spec asks for 404 (2025-11-25 transports, "Session
 * Management"), but the SDK's widely copied Express example, which
 * server-everything ships, answers 400 -32000 "No valid session ID
 * provided" after a restart. Read as a lost session, it is re-opened once;
 * otherwise every call would fail until the pooled session went idle.
 */
function saysSessionUnknown(text: string): boolean {
  try {
    const value = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return (
      value.error?.code === -32000 &&
      typeof value.error.message === 'string' &&
      /session/i.test(value.error.message)
    );
  } catch {
    return false;
  }
}

/** The upstream's own error message from a non-2xx JSON body, if it sent one. */
function upstreamErrorMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? `: ${message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

/**
 * A JSON answer is one message, so the server timeout bounds it from the
 * request to its last byte: undici's body timeout only bounds the silence
 * between chunks, and an upstream trickling a byte at a time would hold the
 * call for ever. SSE answers keep the idle timeout (progress may take long).
 */
function boundWholeBody(body: Readable, serverKey: string, timeoutMs: number, started: number) {
  const timer = setTimeout(
    () =>
      body.destroy(
        new GatewayError(
          'upstream_timeout',
          `The upstream ${serverKey} did not finish its answer within ${timeoutMs} ms.`,
        ),
      ),
    Math.max(1, timeoutMs - (performance.now() - started)),
  );
  body.once('close', () => clearTimeout(timer));
}

export function createStreamableHttpUpstream(
  serverKey: string,
  url: string,
  guard: AddressGuard,
  options: {
    /** Static headers (opened upstream_auth values) for every request to this upstream. */
    headers?: Readonly<Record<string, string>> | undefined;
  } = {},
): Upstream {
  const client: HttpClient = createHttpClient(url, guard);
  const statics = options.headers;

  return {
    serverKey,
    async post(message, call): Promise<UpstreamOutcome> {
      const text = JSON.stringify(message);
      const reply = await client
        .exchangeBuffered(
          {
            method: 'POST',
            headers: {
              ...callHeaders(call, 'application/json, text/event-stream', statics),
              'content-type': 'application/json',
            },
            body: text,
            timeoutMs: call.timeoutMs,
            ...(call.signal ? { signal: call.signal } : {}),
          },
          MAX_JSON_BYTES,
        )
        .catch((error: unknown) => {
          throw error instanceof UpstreamBodyError
            ? bodyFailure(error.cause, serverKey, call.timeoutMs)
            : error;
        });
      const sessionId = first(reply.headers['mcp-session-id']);
      if (reply.status === 404 && call.sessionId) {
        if (reply.body !== undefined) discard(reply.body);
        return { kind: 'session-gone', status: 404 };
      }
      if (reply.status === 202 || reply.status === 204) {
        if (reply.body !== undefined) discard(reply.body);
        return { kind: 'accepted', status: reply.status, sessionId };
      }
      if (reply.body === undefined) {
        // A JSON answer, read whole.
        const bodyText = reply.text;
        if (bodyText.length === 0 && reply.status < 300)
          return { kind: 'accepted', status: reply.status, sessionId };
        if (reply.status === 400 && call.sessionId && saysSessionUnknown(bodyText))
          return { kind: 'session-gone', status: 404 };
        let parsed: JsonRpcMessage;
        try {
          parsed = Array.isArray(message)
            ? parseBatchAnswer(bodyText, serverKey)
            : parseMessage(bodyText, serverKey);
        } catch (error) {
          if (reply.status >= 300)
            throw new UpstreamHttpError(
              reply.status,
              `The upstream ${serverKey} answered HTTP ${reply.status}${upstreamErrorMessage(bodyText)}.`,
              { retryAfter: reply.headers['retry-after'] },
            );
          throw error;
        }
        return {
          kind: 'json',
          status: reply.status,
          sessionId,
          message: parsed,
          bytes: reply.bytes,
        };
      }
      const body = reply.body;
      if (reply.contentType === 'text/event-stream' && reply.status < 300) {
        return {
          kind: 'stream',
          status: reply.status,
          sessionId,
          messages: streamMessages(body, serverKey, call.timeoutMs),
          close: () => discard(body),
        };
      }
      throw await failureFor(reply.status, body, serverKey, reply.headers);
    },

    async listen(call) {
      const reply = await client.exchange({
        method: 'GET',
        headers: callHeaders(call, 'text/event-stream', statics),
        timeoutMs: call.timeoutMs,
        bodyTimeoutMs: 0,
        ...(call.signal ? { signal: call.signal } : {}),
      });
      if (reply.status === 405) {
        discard(reply.body);
        return null;
      }
      if (reply.status === 404 && call.sessionId) {
        discard(reply.body);
        throw new GatewayError(
          'session_not_found',
          'The upstream session has ended; initialize again.',
        );
      }
      if (reply.status === 400 && call.sessionId && reply.contentType === 'application/json') {
        const text = await readBody(reply.body, 4096).catch(() => '');
        if (saysSessionUnknown(text))
          throw new GatewayError(
            'session_not_found',
            'The upstream session has ended; initialize again.',
          );
        throw new UpstreamHttpError(
          400,
          `The upstream ${serverKey} answered HTTP 400${upstreamErrorMessage(text)}.`,
        );
      }
      if (reply.status >= 300 || reply.contentType !== 'text/event-stream') {
        throw await failureFor(reply.status, reply.body, serverKey, reply.headers);
      }
      return streamMessages(reply.body, serverKey, call.timeoutMs);
    },

    async terminate(call) {
      try {
        const reply = await client.exchange({
          method: 'DELETE',
          headers: callHeaders(call, 'application/json, text/event-stream', statics),
          timeoutMs: call.timeoutMs,
        });
        discard(reply.body);
      } catch {
        /* best effort: the upstream expires idle sessions itself */
      }
    },

    async forward(body, call) {
      const started = performance.now();
      const reply = await client.exchange({
        method: 'POST',
        headers: {
          ...callHeaders(call, 'application/json, text/event-stream', statics),
          'content-type': 'application/json',
        },
        body,
        timeoutMs: call.timeoutMs,
        bodyTimeoutMs: call.longLived === true ? 0 : call.timeoutMs,
        ...(call.signal ? { signal: call.signal } : {}),
      });
      if (reply.contentType !== 'text/event-stream' && call.longLived !== true)
        boundWholeBody(reply.body, serverKey, call.timeoutMs, started);
      return {
        status: reply.status,
        contentType: reply.contentType,
        headers: reply.headers,
        body: reply.body,
      };
    },

    close: () => client.close(),
  };
}
