/**
 * SEP-2243 custom headers on a 2026-07-28 `tools/call` bridged to a legacy
 * upstream. A modern server validates `Mcp-Param-*` headers against the
 * arguments; a legacy one has never heard of them, so the gateway does it,
 * from the tool's `x-mcp-header` annotations (the legacy server publishes
 * the same input schemas). A tool not seen in a relayed `tools/list` yet
 * is looked up with one of the gateway's own.
 */
import crypto from 'node:crypto';
import { isObject } from '../json-rpc.ts';
import type { JsonRpcRequest } from '../json-rpc.ts';
import type { McpCall, McpDeps } from '../mcp-call.ts';
import { answerOf } from './answer-of.ts';
import { postOnBridgedSession } from './bridged-session.ts';
import type { ModernEnvelope } from './modern-envelope.ts';

const MAX_PAGES = 50;

async function learnTools(call: McpCall, deps: McpDeps, envelope: ModernEnvelope): Promise<void> {
  let cursor: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const id = `pc-tools.${crypto.randomBytes(6).toString('base64url')}`;
    const { outcome } = await postOnBridgedSession(
      call,
      deps,
      envelope,
      {
        jsonrpc: '2.0',
        id,
        method: 'tools/list',
        ...(typeof cursor === 'string' ? { params: { cursor } } : {}),
      },
      call.signal,
    );
    const answer = await answerOf(outcome, id);
    if (answer === undefined || !isObject(answer.result)) return;
    deps.bridge.toolHeaders.learn(call.serverKey, answer.result);
    cursor = answer.result.nextCursor;
    if (typeof cursor !== 'string') return;
  }
}

export async function checkToolParams(
  call: McpCall,
  deps: McpDeps,
  envelope: ModernEnvelope,
  message: JsonRpcRequest,
): Promise<void> {
  const name = message.params?.name;
  if (typeof name !== 'string') return;
  const catalogue = deps.bridge.toolHeaders;
  if (!catalogue.knows(call.serverKey, name) && catalogue.mayRefresh(call.serverKey))
    await learnTools(call, deps, envelope);
  catalogue.check(call.serverKey, name, message.params?.arguments, call.request.headers);
}
