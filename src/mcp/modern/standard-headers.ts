/**
 * SEP-2243 standard request headers on modern-era requests: MCP-Protocol-Version
 * and Mcp-Method on every request, Mcp-Name mirroring params.name / params.uri
 * (or params.taskId for tasks/*), with `=?base64?…?=` sentinels decoded.
 * Header names are case-insensitive (Node lowercases them).
 */
import { GatewayError } from '../../shared/errors.ts';
import type { JsonRpcRequest } from '../json-rpc.ts';

const NAME_SOURCE: Record<string, 'name' | 'uri' | 'taskId'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** Decodes a header value that may use the `=?base64?…?=` sentinel; undefined when the sentinel is malformed. */
export function decodeHeaderValue(value: string): string | undefined {
  const match = /^=\?base64\?(.*)\?=$/.exec(value);
  if (match === null) return value;
  const encoded = match[1] ?? '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.includes('\uFFFD') ? undefined : decoded;
}

function mismatch(header: string, body: string): GatewayError {
  return new GatewayError(
    'header_mismatch',
    `Bad Request: the request headers and body disagree: ${body}`,
    { data: { mismatch: { header, body } } },
  );
}

export function validateStandardHeaders(
  headers: {
    protocolVersion?: string | undefined;
    method?: string | undefined;
    name?: string | undefined;
  },
  message: JsonRpcRequest,
): void {
  if (headers.protocolVersion === undefined)
    throw mismatch('(missing)', 'the required MCP-Protocol-Version header is absent');
  if (headers.method === undefined)
    throw mismatch(
      '(missing)',
      `the body names method ${message.method} but the required Mcp-Method header is absent`,
    );
  const field = NAME_SOURCE[message.method];
  if (field === undefined) return;
  const bodyValue = message.params?.[field];
  if (typeof bodyValue !== 'string') return;
  if (headers.name === undefined)
    throw mismatch(
      '(missing)',
      `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`,
    );
  const decoded = decodeHeaderValue(headers.name.trim());
  if (decoded === undefined)
    throw mismatch(headers.name, 'the Mcp-Name header carries an invalid Base64 sentinel value');
  if (decoded !== bodyValue)
    throw mismatch(
      headers.name,
      `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`,
    );
}
