/**
 * The MCP SDK v2 client, connected to a server through a test gateway with
 * its API key. Client capabilities are declared only for the handlers given,
 * as a real client would.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { TestGateway } from './gateway.ts';

export interface ConnectOptions {
  /** Protocol era negotiation; default the 2025 era. */
  mode?: 'legacy' | 'auto' | { pin: string };
  /** Answers elicitation/create (and declares form elicitation). */
  elicit?: () => Promise<object>;
  /** Text the client answers sampling/createMessage with (and declares sampling). */
  sample?: string;
}

export const acceptAda = async (): Promise<object> => ({
  action: 'accept',
  content: { username: 'ada', email: 'ada@example.test' },
});

export async function connectClient(
  gateway: TestGateway,
  serverId: string,
  options: ConnectOptions = {},
): Promise<Client> {
  const capabilities = {
    ...(options.elicit ? { elicitation: { form: {} } } : {}),
    ...(options.sample !== undefined ? { sampling: {} } : {}),
  };
  const client = new Client(
    { name: 'e2e', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: options.mode ?? 'legacy' } },
  );
  if (options.elicit) client.setRequestHandler('elicitation/create', options.elicit as never);
  const sampled = options.sample;
  if (sampled !== undefined) {
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      content: { type: 'text', text: sampled },
      model: 'test-model',
    }));
  }
  const transport = new StreamableHTTPClientTransport(new URL(gateway.endpoint(serverId)), {
    requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

/** The text of a tool result's content blocks (non-text blocks as `[type]`). */
export function resultText(result: unknown): string {
  const content = (result as { content: Array<{ type: string; text?: string }> }).content;
  return content.map((block) => block.text ?? `[${block.type}]`).join('');
}
