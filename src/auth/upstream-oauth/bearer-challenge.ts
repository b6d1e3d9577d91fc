/**
 * Reads the parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1)
 * from a WWW-Authenticate header that may carry several challenges.
 */

export interface BearerChallenge {
  readonly resourceMetadata?: string;
  /** Space-separated scopes the operation needs (MCP "Scope Challenge Handling"). */
  readonly scope?: string;
  readonly error?: string;
}

// auth-param = token BWS "=" BWS ( token / quoted-string )  (RFC 9110 §11.2)
const authParam =
  /([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+./^_`|~0-9A-Za-z-]+=*))/y;
const scheme = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)/y;

/** Returns undefined when there is no Bearer challenge. */
export function parseBearerChallenge(
  header: string | null | undefined,
): BearerChallenge | undefined {
  if (header === null || header === undefined) return undefined;
  let position = 0;
  let inBearer = false;
  let found = false;
  const params: Record<string, string> = {};
  const skip = (pattern: RegExp): void => {
    while (pattern.test(header.charAt(position))) position += 1;
  };
  while (position < header.length) {
    skip(/[\s,]/);
    if (position >= header.length) break;
    authParam.lastIndex = position;
    const param = authParam.exec(header);
    if (param !== null) {
      position = authParam.lastIndex;
      const name = param[1]!.toLowerCase();
      const value = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
      if (inBearer && params[name] === undefined) params[name] = value;
      continue;
    }
    scheme.lastIndex = position;
    const next = scheme.exec(header);
    if (next === null) {
      // A token68 or garbage: skip to the next comma.
      const comma = header.indexOf(',', position);
      position = comma === -1 ? header.length : comma + 1;
      continue;
    }
    position = scheme.lastIndex;
    if (found && inBearer) break;
    inBearer = next[1]!.toLowerCase() === 'bearer';
    found = found || inBearer;
  }
  if (!found) return undefined;
  return {
    ...(params.resource_metadata === undefined
      ? {}
      : { resourceMetadata: params.resource_metadata }),
    ...(params.scope === undefined ? {} : { scope: params.scope }),
    ...(params.error === undefined ? {} : { error: params.error }),
  };
}
