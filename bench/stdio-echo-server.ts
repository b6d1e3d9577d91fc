/**
 * The cheapest MCP server over stdio (MCP basic/transports/stdio): one JSON-RPC
 * message per line, `initialize`, `tools/list` and `tools/call` of `echo`, as
 * cheap-upstream.ts is over HTTP. The stdio scenario runs it behind the gateway
 * and behind supergateway, so their cost is what the numbers show.
 *
 * `node bench/stdio-echo-server.ts`
 */
import { createInterface } from 'node:readline';

const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns its text argument.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

interface Message {
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: {
    readonly protocolVersion?: string;
    readonly arguments?: { readonly text?: unknown };
  };
}

function answer(message: Message): unknown {
  const id = message.id;
  switch (message.method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: message.params?.protocolVersion ?? '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'bench-stdio-echo', version: '1.0.0' },
        },
      };
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools: [ECHO_TOOL] } };
    case 'tools/call':
      return {
        jsonrpc: '2.0',
        id,
        result: {
          content: [{ type: 'text', text: String(message.params?.arguments?.text) }],
          isError: false,
        },
      };
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} };
    default:
      return { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const message = JSON.parse(line) as Message;
  // Notifications (no id) get no answer.
  if (message.id === undefined) return;
  process.stdout.write(`${JSON.stringify(answer(message))}\n`);
});
lines.on('close', () => process.exit(0));
