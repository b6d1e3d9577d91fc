/**
 * Server-Sent Events parser (WHATWG HTML §9.2.6) over a byte stream.
 * Yields one event per dispatch; comment lines (keep-alives) are skipped.
 */
import { GatewayError } from '../shared/errors.ts';

export interface SseEvent {
  /** Last event id seen on the stream, if any field set it. */
  id: string | undefined;
  event: string;
  data: string;
  /** Reconnection time the server asked for, in milliseconds. */
  retry: number | undefined;
}

/**
 * The most characters one event may hold (its field lines together): the
 * same bound as a JSON answer (streamable-http.ts), so an upstream cannot
 * make the gateway buffer without end by never ending a line or an event.
 */
export const MAX_SSE_EVENT_CHARS = 64 * 1024 * 1024;

export async function* parseSse(
  source: AsyncIterable<Buffer | string>,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  // The unfinished line is kept as pieces and each chunk is scanned once:
  // growing one string and rescanning it made a long line cost quadratic time.
  let pending: string[] = [];
  let pendingChars = 0;
  let eventChars = 0;
  let data: string[] = [];
  let eventType = '';
  let lastId: string | undefined;
  let retry: number | undefined;
  let sawField = false;
  let firstChunk = true;
  let afterCr = false;

  const tooLarge = (): GatewayError =>
    new GatewayError(
      'upstream_protocol_error',
      `The upstream sent a server-sent event larger than ${maxEventChars} characters.`,
    );

  for await (const chunk of source) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (firstChunk && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      firstChunk = false;
    }
    let start = 0;
    // A CR at the end of the previous chunk may be the first half of CRLF.
    if (afterCr && text.charCodeAt(0) === 10) start = 1;
    afterCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      let line = text.slice(start, i);
      if (pendingChars > 0) {
        pending.push(line);
        line = pending.join('');
        pending = [];
        pendingChars = 0;
      }
      if (c === 13) {
        if (i + 1 === text.length) afterCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      if (line.length === 0) {
        if (sawField) {
          if (data.length > 0 || eventType !== '') {
            yield {
              id: lastId,
              event: eventType === '' ? 'message' : eventType,
              data: data.join('\n'),
              retry,
            };
          } else if (lastId !== undefined) {
            // An event with only an id (priming event): still dispatch so callers see the id.
            yield { id: lastId, event: 'message', data: '', retry };
          }
        }
        data = [];
        eventType = '';
        sawField = false;
        eventChars = 0;
        continue;
      }
      if (line.charCodeAt(0) === 58) continue; // ':' comment
      eventChars += line.length;
      if (eventChars > maxEventChars) throw tooLarge();
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      sawField = true;
      if (field === 'data') data.push(value);
      else if (field === 'event') eventType = value;
      else if (field === 'id') {
        if (!value.includes('\0')) lastId = value;
      } else if (field === 'retry') {
        if (/^\d+$/.test(value)) retry = Number(value);
      }
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      pendingChars += rest.length;
      if (eventChars + pendingChars > maxEventChars) throw tooLarge();
      pending.push(rest);
    }
  }
}

/** Serialises one SSE event. `data` must not contain CR or LF (JSON text never does). */
export function formatSseEvent(event: {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}): string {
  let out = '';
  if (event.event !== undefined && event.event !== 'message') out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  out += `data: ${event.data}\n\n`;
  return out;
}
