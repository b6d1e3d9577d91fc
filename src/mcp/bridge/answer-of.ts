/**
 * The response in what one upstream POST produced (a JSON body or an SSE
 * stream), for the gateway's own small exchanges (tools/list, subscribe,
 * setLevel) where nothing else on the stream matters.
 */
import type { UpstreamOutcome } from '../../upstream/upstream.ts';
import { isResponse } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcResponse } from '../json-rpc.ts';

export async function answerOf(
  outcome: UpstreamOutcome,
  id: JsonRpcId,
): Promise<JsonRpcResponse | undefined> {
  if (outcome.kind === 'json') return isResponse(outcome.message) ? outcome.message : undefined;
  if (outcome.kind !== 'stream') return undefined;
  for await (const { message } of outcome.messages)
    if (message !== null && isResponse(message) && message.id === id) return message;
  return undefined;
}
