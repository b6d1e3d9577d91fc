/**
 * "Connect your client": for one server endpoint, the steps and the exact
 * configuration each MCP client takes. OAuth clients need only the URL (they
 * discover the gateway's authorization server from its 401, MCP authorization
 * spec); clients without OAuth send an API key as a bearer token instead.
 */

export interface ClientGuide {
  /** Stable id (tests and keys). */
  readonly id: 'claude' | 'claude-code' | 'cursor' | 'vscode' | 'api-key';
  readonly title: string;
  readonly steps: readonly string[];
  /** What to copy, exactly. */
  readonly snippet: string;
  /** Where the snippet goes (a file, a terminal), shown above it. */
  readonly where: string;
  /** The same client with an API key instead of OAuth, when it differs. */
  readonly withApiKey?: { readonly where: string; readonly snippet: string };
}

/** Placeholder the reader replaces with a key from the API keys view. */
export const API_KEY_PLACEHOLDER = '<your API key>';
const KEY_VARIABLE = 'PORTCULLIS_API_KEY';

/**
 * A name clients accept for the server (Claude Code and the JSON files key
 * servers by it): lowercase letters, digits, "-" and "_", at most 64.
 */
export function clientServerName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return cleaned === '' ? 'mcp-server' : cleaned;
}

/** POSIX shell quoting, only when needed, so commands paste as they read. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function clientGuides(endpoint: string, serverName: string): ClientGuide[] {
  const name = clientServerName(serverName);
  const bearer = `Bearer ${API_KEY_PLACEHOLDER}`;
  return [
    {
      id: 'claude',
      title: 'Claude Desktop and claude.ai',
      steps: [
        'Open Settings → Connectors and choose "Add custom connector".',
        `Name it (for example "${name}") and paste the URL below.`,
        'Choose Connect: sign in to Portcullis in the browser window that opens and allow access.',
      ],
      where: 'Connector URL',
      snippet: endpoint,
      withApiKey: {
        where: 'claude_desktop_config.json (Claude Desktop only, through mcp-remote)',
        snippet: json({
          mcpServers: {
            [name]: {
              command: 'npx',
              args: ['-y', 'mcp-remote', endpoint, '--header', 'Authorization:${AUTH_HEADER}'],
              env: { AUTH_HEADER: bearer },
            },
          },
        }),
      },
    },
    {
      id: 'claude-code',
      title: 'Claude Code',
      steps: [
        'Run this in a terminal (add --scope user to use it in every project).',
        'In Claude Code, run /mcp and choose the server to sign in with your browser.',
      ],
      where: 'Terminal',
      snippet: `claude mcp add --transport http ${shellQuote(name)} ${shellQuote(endpoint)}`,
      withApiKey: {
        where: 'Terminal',
        snippet: `claude mcp add --transport http ${shellQuote(name)} ${shellQuote(endpoint)} --header ${shellQuote(`Authorization: ${bearer}`)}`,
      },
    },
    {
      id: 'cursor',
      title: 'Cursor',
      steps: [
        'Add the server to ~/.cursor/mcp.json (every project) or .cursor/mcp.json (one project); merge with any servers already there.',
        'Cursor shows the server under Settings → MCP; choose "Needs login" to sign in.',
      ],
      where: '~/.cursor/mcp.json',
      snippet: json({ mcpServers: { [name]: { url: endpoint } } }),
      withApiKey: {
        where: `~/.cursor/mcp.json (the key from the ${KEY_VARIABLE} environment variable)`,
        snippet: json({
          mcpServers: {
            [name]: {
              url: endpoint,
              headers: { Authorization: `Bearer \${env:${KEY_VARIABLE}}` },
            },
          },
        }),
      },
    },
    {
      id: 'vscode',
      title: 'VS Code',
      steps: [
        'Add the server to .vscode/mcp.json in your workspace (or run "MCP: Add Server…" and choose HTTP); merge with any servers already there.',
        'Start the server from the file or the MCP view; VS Code asks you to sign in.',
      ],
      where: '.vscode/mcp.json',
      snippet: json({ servers: { [name]: { type: 'http', url: endpoint } } }),
      withApiKey: {
        where: '.vscode/mcp.json (VS Code asks for the key once and stores it securely)',
        snippet: json({
          inputs: [
            {
              type: 'promptString',
              id: `${name}-api-key`,
              description: 'Portcullis API key',
              password: true,
            },
          ],
          servers: {
            [name]: {
              type: 'http',
              url: endpoint,
              headers: { Authorization: `Bearer \${input:${name}-api-key}` },
            },
          },
        }),
      },
    },
    {
      id: 'api-key',
      title: 'Any other client (API key)',
      steps: [
        'Clients without OAuth sign in with an API key: create one in API keys, limited to this server if you like.',
        'Send it with every request as a bearer token, in this header:',
      ],
      where: 'HTTP header',
      snippet: `Authorization: ${bearer}`,
    },
  ];
}
