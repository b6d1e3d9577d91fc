/**
 * Messages the decorator rewrites go back on the wire as the upstream would
 * have sent them: JSON bodies, SSE events, and standard headers that still
 * agree with the body (SEP-2243).
 */
import { Readable } from 'node:stream';
import { META } from '../../session/protocol-version.ts';
import type { ReplyBody } from '../../upstream/http-client.ts';
import type { RawReply, UpstreamCall } from '../../upstream/upstream.ts';
import { isObject, targetOf, toMessage } from '../json-rpc.ts';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from '../json-rpc.ts';

/** Encodes a header value as SEP-2243 does when it is not plain visible ASCII. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) && value.trim() === value
    ? value
    : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** A rewritten request must still agree with its standard headers (the upstream checks them). */
export function headersFor(
  call: UpstreamCall,
  before: JsonRpcRequest,
  after: JsonRpcRequest,
): UpstreamCall {
  if (call.headers === undefined) return call;
  const headers = { ...call.headers };
  if (before.method !== after.method && 'mcp-method' in headers)
    headers['mcp-method'] = after.method;
  const target = targetOf(after);
  if (target !== targetOf(before) && target !== null && 'mcp-name' in headers)
    headers['mcp-name'] = headerValue(target);
  return { ...call, headers };
}

export function bodyOf(text: string): ReplyBody {
  // RawReply consumers read bodies as Node streams (data/end events or async iteration).
  return Readable.from([Buffer.from(text, 'utf8')]) as unknown as ReplyBody;
}

export function jsonReply(
  status: number,
  message: JsonRpcMessage,
  headers: RawReply['headers'],
): RawReply {
  const text = JSON.stringify(message);
  const { 'content-length': _length, ...rest } = headers;
  return {
    status,
    contentType: 'application/json',
    headers: { ...rest, 'content-type': 'application/json' },
    body: bodyOf(text),
  };
}

export function sseEvent(event: {
  id: string | undefined;
  event: string;
  data: string;
  retry: number | undefined;
}): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  if (event.event !== 'message') out += `event: ${event.event}\n`;
  for (const line of event.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** 2026-07-28 subscriptions: only opted-in types, each tagged with the listen request's id. */
const LISTEN_FILTER: Record<string, string> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

export function listenNotice(
  listen: JsonRpcRequest,
  notification: JsonRpcNotification,
): JsonRpcNotification | undefined {
  const filter = listen.params?.notifications;
  const key = LISTEN_FILTER[notification.method];
  if (key === undefined || !isObject(filter) || filter[key] !== true) return undefined;
  const params = notification.params ?? {};
  const meta = isObject(params._meta) ? params._meta : {};
  return {
    ...notification,
    params: { ...params, _meta: { ...meta, [META.subscriptionId]: listen.id } },
  };
}

export function parseMessage(text: string): JsonRpcMessage | undefined {
  try {
    return toMessage(JSON.parse(text));
  } catch {
    return undefined;
  }
}
