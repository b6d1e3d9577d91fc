/**
 * What an upstream offers right now: one handshake (a legacy `initialize`,
 * or `server/discover` for an upstream that serves only 2026-07-28), then
 * `tools/list`, `resources/list`, `resources/templates/list` and
 * `prompts/list` for the capabilities it declares, following `nextCursor`
 * up to a cap. The admin API uses it to test a definition before it is
 * saved and to show a server's live capabilities; nothing here is on the
 * MCP hot path.
 *
 * The legacy session it opens is ended afterwards (DELETE), so listing
 * leaves no upstream session behind.
 */
import crypto from 'node:crypto';
import { openUpstreamSession } from '../mcp/legacy/initialize.ts';
import { isObject, isResponse } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { LATEST_LEGACY_VERSION, META, MODERN_VERSION } from '../session/protocol-version.ts';
import { GatewayError } from '../shared/errors.ts';
import { probeEra } from './era-cache.ts';
import type { Upstream, UpstreamCall } from './upstream.ts';

export interface CapabilityListing {
  readonly era: 'legacy' | 'modern';
  readonly protocolVersion: string;
  readonly serverInfo: JsonObject;
  readonly capabilities: JsonObject;
  readonly instructions: string | undefined;
  readonly tools: JsonObject[];
  readonly resources: JsonObject[];
  readonly resourceTemplates: JsonObject[];
  readonly prompts: JsonObject[];
  /** A list had more pages than the cap; what was read is kept. */
  readonly truncated: boolean;
}

export interface ListingOptions {
  /** Time allowed for each upstream answer. */
  readonly timeoutMs: number;
  /** Aborts every call still in flight (the caller's deadline). */
  readonly signal?: AbortSignal;
  readonly maxPages?: number;
  readonly maxItems?: number;
}

const CLIENT_INFO = { name: 'portcullis', version: '0.1.0' };
/** How 2026-only servers refuse a legacy initialize (bridge-initialize.ts lists the same codes). */
const REFUSALS = new Set([-32022, -32601, -32602, -32600]);
const DEFAULT_MAX_PAGES = 20;
const DEFAULT_MAX_ITEMS = 5_000;

interface Channel {
  readonly era: 'legacy' | 'modern';
  call(method: string, params: JsonObject): Promise<JsonObject>;
  end(): Promise<void>;
}

const newId = (method: string) =>
  `pc-list.${method}.${crypto.randomBytes(6).toString('base64url')}`;

/** The answer to request `id` from one post, whatever form the transport gave it. */
async function answerOf(
  upstream: Upstream,
  outcome: Awaited<ReturnType<Upstream['post']>>,
  id: string,
  method: string,
): Promise<JsonRpcResponse> {
  if (outcome.kind === 'json' && isResponse(outcome.message)) return outcome.message;
  if (outcome.kind === 'stream') {
    try {
      for await (const item of outcome.messages)
        if (item.message && isResponse(item.message) && item.message.id === id) return item.message;
    } finally {
      outcome.close?.();
    }
  }
  if (outcome.kind === 'session-gone')
    throw new GatewayError(
      'upstream_unavailable',
      `The upstream ${upstream.serverKey} ended its session during ${method}.`,
    );
  throw new GatewayError(
    'upstream_protocol_error',
    `The upstream ${upstream.serverKey} did not answer ${method}.`,
  );
}

function resultOf(upstream: Upstream, answer: JsonRpcResponse, method: string): JsonObject {
  if (answer.error !== undefined || !isObject(answer.result))
    throw new GatewayError(
      'upstream_error',
      `The upstream ${upstream.serverKey} refused ${method}: ${answer.error?.message ?? 'no result'}`,
      { data: { upstreamError: answer.error } },
    );
  return answer.result;
}

function isLegacyRefusal(error: unknown): boolean {
  if (!(error instanceof GatewayError)) return false;
  if (error.code === 'upstream_protocol_error' || error.code === 'upstream_refused') return true;
  const refusal = error.data?.upstreamError as { code?: unknown } | undefined;
  return (
    error.code === 'upstream_error' &&
    typeof refusal?.code === 'number' &&
    REFUSALS.has(refusal.code)
  );
}

async function openChannel(
  upstream: Upstream,
  options: ListingOptions,
): Promise<{ channel: Channel; handshake: JsonObject }> {
  const base: UpstreamCall = {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    const session = await openUpstreamSession(
      upstream,
      {
        protocolVersion: LATEST_LEGACY_VERSION,
        capabilities: {},
        clientInfo: CLIENT_INFO,
        raw: { protocolVersion: LATEST_LEGACY_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
      },
      options.timeoutMs,
    );
    const call: UpstreamCall = {
      ...base,
      sessionId: session.sessionId,
      protocolVersion: session.protocolVersion,
    };
    return {
      handshake: { ...session.result, protocolVersion: session.protocolVersion },
      channel: {
        era: 'legacy',
        async call(method, params) {
          const id = newId(method);
          const outcome = await upstream.post({ jsonrpc: '2.0', id, method, params }, call);
          return resultOf(upstream, await answerOf(upstream, outcome, id, method), method);
        },
        end: () =>
          session.sessionId === null
            ? Promise.resolve()
            : upstream.terminate({ ...call, timeoutMs: Math.min(options.timeoutMs, 2_000) }),
      },
    };
  } catch (error) {
    if (upstream.fixedEra === 'legacy' || !isLegacyRefusal(error)) throw error;
    const verdict = await probeEra(upstream, options.timeoutMs).catch(() => undefined);
    if (!verdict?.modern || verdict.discover === null) throw error;
    const discover = verdict.discover;
    const meta = isObject(discover._meta) ? discover._meta : {};
    return {
      handshake: {
        protocolVersion: MODERN_VERSION,
        capabilities: discover.capabilities,
        serverInfo: meta[META.serverInfo],
        instructions: discover.instructions,
      },
      channel: {
        era: 'modern',
        async call(method, params) {
          const id = newId(method);
          const message = {
            jsonrpc: '2.0' as const,
            id,
            method,
            params: {
              ...params,
              _meta: {
                [META.protocolVersion]: MODERN_VERSION,
                [META.clientCapabilities]: {},
                [META.clientInfo]: CLIENT_INFO,
              },
            },
          };
          const outcome = await upstream.post(message, {
            ...base,
            protocolVersion: MODERN_VERSION,
            headers: { 'mcp-method': method },
          });
          return resultOf(upstream, await answerOf(upstream, outcome, id, method), method);
        },
        end: () => Promise.resolve(),
      },
    };
  }
}

/** Every page of one list, up to the caps; a cursor seen twice ends it (a looping upstream). */
async function listAll(
  channel: Channel,
  method: string,
  field: string,
  caps: { pages: number; items: number },
): Promise<{ items: JsonObject[]; truncated: boolean }> {
  const items: JsonObject[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < caps.pages; page++) {
    const result = await channel.call(method, cursor === undefined ? {} : { cursor });
    const list = result[field];
    if (Array.isArray(list)) items.push(...list.filter(isObject));
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '') return { items, truncated: false };
    if (items.length >= caps.items || seen.has(next))
      return { items: items.slice(0, caps.items), truncated: true };
    seen.add(next);
    cursor = next;
  }
  return { items: items.slice(0, caps.items), truncated: true };
}

export async function listCapabilities(
  upstream: Upstream,
  options: ListingOptions,
): Promise<CapabilityListing> {
  const { channel, handshake } = await openChannel(upstream, options);
  try {
    const capabilities = isObject(handshake.capabilities) ? handshake.capabilities : {};
    const caps = {
      pages: options.maxPages ?? DEFAULT_MAX_PAGES,
      items: options.maxItems ?? DEFAULT_MAX_ITEMS,
    };
    const none = { items: [] as JsonObject[], truncated: false };
    const tools = capabilities.tools ? await listAll(channel, 'tools/list', 'tools', caps) : none;
    const resources = capabilities.resources
      ? await listAll(channel, 'resources/list', 'resources', caps)
      : none;
    const templates = capabilities.resources
      ? await listAll(channel, 'resources/templates/list', 'resourceTemplates', caps).catch(
          // Templates are optional within the resources capability; some servers lack the method.
          () => none,
        )
      : none;
    const prompts = capabilities.prompts
      ? await listAll(channel, 'prompts/list', 'prompts', caps)
      : none;
    return {
      era: channel.era,
      protocolVersion:
        typeof handshake.protocolVersion === 'string' ? handshake.protocolVersion : '',
      serverInfo: isObject(handshake.serverInfo) ? handshake.serverInfo : {},
      capabilities,
      instructions: typeof handshake.instructions === 'string' ? handshake.instructions : undefined,
      tools: tools.items,
      resources: resources.items,
      resourceTemplates: templates.items,
      prompts: prompts.items,
      truncated: tools.truncated || resources.truncated || templates.truncated || prompts.truncated,
    };
  } finally {
    await channel.end().catch(() => undefined);
  }
}
