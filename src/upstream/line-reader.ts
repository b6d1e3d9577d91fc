/**
 * Newline-delimited framing for stdio upstreams (MCP basic/transports/stdio:
 * one JSON-RPC message per line, no embedded newlines). A line longer than
 * `maxBytes` is skipped whole rather than buffered without bound.
 */

export async function* readLines(
  stream: AsyncIterable<Buffer>,
  maxBytes: number,
  onOverflow: () => void = () => undefined,
): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const take = (): string => {
    const text = Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of stream) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end);
      start = end + 1;
      if (skipping || size + piece.length > maxBytes) {
        if (!skipping) onOverflow();
        skipping = false;
        parts = [];
        size = 0;
        continue;
      }
      parts.push(piece);
      size += piece.length;
      yield take();
    }
    const rest = chunk.subarray(start);
    if (skipping || rest.length === 0) continue;
    if (size + rest.length > maxBytes) {
      skipping = true;
      parts = [];
      size = 0;
      onOverflow();
    } else {
      parts.push(rest);
      size += rest.length;
    }
  }
  if (!skipping && size > 0) yield take();
}
