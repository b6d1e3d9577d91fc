/**
 * Server-Sent Events parser (WHATWG HTML §9.2.6) over a byte stream.
 * Yields one event per dispatch; comment lines (keep-alives) are skipped.
 */

export interface SseEvent {
  /** Last event id seen on the stream, if any field set it. */
  id: string | undefined;
  event: string;
  data: string;
  /** Reconnection time the server asked for, in milliseconds. */
  retry: number | undefined;
}

export async function* parseSse(source: AsyncIterable<Buffer | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let eventType = '';
  let lastId: string | undefined;
  let retry: number | undefined;
  let sawField = false;
  let firstChunk = true;

  for await (const chunk of source) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (firstChunk && buffer.length > 0) {
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      firstChunk = false;
    }
    let start = 0;
    for (;;) {
      let end = -1;
      let next = -1;
      for (let i = start; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c === 10) {
          end = i;
          next = i + 1;
          break;
        }
        if (c === 13) {
          // A lone CR at the end of the buffer may be the first half of CRLF.
          if (i + 1 === buffer.length) break;
          end = i;
          next = buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
          break;
        }
      }
      if (end === -1) break;
      const line = buffer.slice(start, end);
      start = next;
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
        continue;
      }
      if (line.charCodeAt(0) === 58) continue; // ':' comment
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
    buffer = buffer.slice(start);
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
