/** A server a benchmark started and must stop. */
export interface RunningServer {
  /** The MCP endpoint URL for an MCP server; the base URL for a proxy. */
  readonly url: string;
  close(): Promise<void>;
}
