/**
 * An upstream request whose JSON answer is read into one string without a
 * body stream: undici's `dispatch()` with a handler of our own. On the hot
 * path (a `tools/call` answered in JSON) this saves the Readable and the
 * async resource `request()` builds for every answer (docs/benchmarks.md:
 * about 8 µs of CPU per request). Any other answer (SSE above all) gets a
 * Readable fed by the same handler, with backpressure: the caller reads it
 * as it would undici's body.
 */
import { Readable } from 'node:stream';
import { errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../shared/errors.ts';

type Headers = Record<string, string | string[] | undefined>;

export type BufferedAnswer = {
  readonly status: number;
  readonly headers: Headers;
  /** `application/json`, `text/event-stream`, or anything else the upstream sent. */
  readonly contentType: string;
} & (
  | /** A JSON answer, read whole, and its size in bytes. */ {
      readonly text: string;
      readonly bytes: number;
      readonly body?: undefined;
    }
  | /** Anything else: the body to read. */ { readonly body: Readable; readonly text?: undefined }
);

/** A failure after the answer's headers arrived: the upstream broke off (or went silent). */
export class UpstreamBodyError extends Error {
  constructor(cause: unknown) {
    super('the upstream broke off its answer', { cause });
  }
}

interface Controller {
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
}

export function contentTypeOf(headers: Headers): string {
  const value = headers['content-type'];
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  return text.split(';')[0]!.trim().toLowerCase();
}

export function dispatchBuffering(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  limit: number,
  signal: AbortSignal | undefined,
  /**
   * Time allowed for a JSON answer from the request to its last byte.
   * undici's body timeout only bounds the silence between chunks, so an
   * upstream trickling one byte at a time would hold the call for ever.
   * A streamed (SSE) answer is let go of at its headers: its events keep
   * the idle timeout, as progress may legitimately take long.
   */
  deadlineMs = 0,
): Promise<BufferedAnswer> {
  return new Promise((resolve, reject) => {
    let controller: Controller | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let settled = false;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let body: Readable | undefined;
    let status = 0;
    let headers: Headers = {};
    let contentType = '';

    const onAbort = (): void => {
      controller?.abort(
        (signal?.reason as Error | undefined) ?? new undiciErrors.RequestAbortedError(),
      );
    };
    const done = (): void => {
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: Error): void => {
      if (body !== undefined) {
        body.destroy(error);
        signal?.removeEventListener('abort', onAbort);
        return;
      }
      if (settled) return;
      done();
      reject(chunks === undefined ? error : new UpstreamBodyError(error));
    };

    const handler = {
      onRequestStart(started: Controller) {
        controller = started;
        if (signal?.aborted === true) onAbort();
        if (deadlineMs > 0)
          deadline = setTimeout(
            () =>
              started.abort(
                new GatewayError(
                  'upstream_timeout',
                  `The upstream did not finish its answer within ${deadlineMs} ms.`,
                ),
              ),
            deadlineMs,
          );
      },
      onResponseStart(_controller: Controller, statusCode: number, responseHeaders: Headers) {
        if (statusCode < 200) return;
        status = statusCode;
        headers = responseHeaders;
        contentType = contentTypeOf(headers);
        if (contentType === 'application/json') {
          chunks = [];
          return;
        }
        clearTimeout(deadline);
        body = new Readable({
          read: () => controller?.resume(),
          destroy: (error, callback) => {
            // A body let go before its end stops the upstream transfer.
            if (!settled) controller?.abort(error ?? new undiciErrors.RequestAbortedError());
            callback(error);
          },
        });
        resolve({ status, headers, contentType, body });
      },
      onResponseData(active: Controller, chunk: Buffer) {
        if (body !== undefined) {
          if (!body.push(chunk)) active.pause();
          return;
        }
        if (chunks === undefined) return;
        size += chunk.length;
        if (size <= limit) return void chunks.push(chunk);
        chunks = undefined;
        const tooLarge = new GatewayError(
          'upstream_protocol_error',
          `The upstream response is larger than ${limit} bytes.`,
        );
        if (!settled) {
          done();
          reject(tooLarge);
        }
        active.abort(tooLarge);
      },
      onResponseEnd() {
        if (body !== undefined) {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          body.push(null);
          return;
        }
        if (settled) return;
        done();
        const text =
          chunks === undefined || chunks.length === 0
            ? ''
            : (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
        resolve({ status, headers, contentType, text, bytes: size });
      },
      onResponseError(_controller: Controller, error: Error) {
        fail(error);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(options, handler);
  });
}
