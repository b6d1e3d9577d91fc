/**
 * Redaction of captured bodies (capture mode `full`) before they reach a
 * record. Three layers, applied to a copy, never to the message in flight:
 *
 * 1. keys: a value whose key matches one of the secret-key patterns
 *    (case-insensitive, `_`/`-` ignored: `apiKey` ≡ `api_key` ≡ `API-KEY`)
 *    is masked whole, wherever it appears;
 * 2. values: strings that carry credentials (bearer tokens, JWTs, well-known
 *    key formats, long opaque tokens) are masked wherever they appear;
 * 3. field masks: per-server paths (capture-settings.ts) masked outright.
 *
 * The result is JSON text capped at `maxBytes`: a longer body is kept as a
 * `$truncated` envelope with a prefix of the redacted text, so a record stays
 * valid JSON and no secret survives truncation.
 */
import { maskSegments } from './capture-settings.ts';

export const MASK = '[redacted]';

/** Default secret-key patterns (PORTCULLIS_REDACT_KEYS replaces them). */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'privatekey',
  'accesskey',
  'sessionid',
  'signature',
];

// Substrings inside free text: bearer credentials, JWTs, and key formats
// whose prefixes identify them (GitHub, Slack, AWS, Google, OpenAI-style,
// Stripe, GitLab, this gateway's own API keys).
const SECRET_IN_TEXT =
  /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}|\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|sk-[A-Za-z0-9_-]{16,}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|glpat-[A-Za-z0-9_-]{16,}|pcl_[A-Za-z0-9_-]{20,})/gi;

/**
 * The shortest text SECRET_IN_TEXT can match (`basic` + a space + 8
 * characters): shorter strings, most values of a body, skip the scan.
 */
export const MIN_SECRET_IN_TEXT = 14;

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi;
const QUERY_PARAM = /([?&])([^=&#\s]+)=([^&#\s]*)/g;
// Query parameters that carry credentials: the secret keys plus OAuth's `code` (RFC 6749 §4.1.2).
const SECRET_PARAMS = [...DEFAULT_SECRET_KEYS, 'code', 'key', 'sig', 'auth'];

function isSecretParam(name: string): boolean {
  const key = normalize(name);
  return SECRET_PARAMS.some(
    (pattern) => key === pattern || (pattern.length > 4 && key.includes(pattern)),
  );
}

/** URIs in the text without userinfo, and with secret-looking query values masked. */
export function scrubUris(text: string): string {
  if (!text.includes('@') && !text.includes('=')) return text;
  return text.replace(USERINFO, '$1').replace(QUERY_PARAM, (whole, lead: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      /* a bad escape is judged as written */
    }
    return isSecretParam(decoded) ? `${lead}${name}=${MASK}` : whole;
  });
}

/** Free text (an upstream's error message) with the credentials it carries masked. */
export function redactCredentialsInText(text: string): string {
  return text.length < MIN_SECRET_IN_TEXT ? text : text.replace(SECRET_IN_TEXT, MASK);
}

/** A whole value that is one long opaque token (letters and digits mixed, no spaces). */
const OPAQUE_TOKEN = /^[A-Za-z0-9_\-+/=.~]{32,}$/;

function isOpaqueToken(value: string): boolean {
  return (
    value.length >= 32 &&
    value.length <= 4096 &&
    OPAQUE_TOKEN.test(value) &&
    /\d/.test(value) &&
    /[A-Za-z]/.test(value)
  );
}

const normalize = (key: string): string => key.toLowerCase().replaceAll(/[^a-z0-9]/g, '');

const MAX_DEPTH = 32;

export interface RedactorOptions {
  /** Key patterns; a key matches when its normalized form contains one. */
  readonly secretKeys?: readonly string[];
  /** Largest captured body, in bytes of JSON text. */
  readonly maxBytes: number;
}

/**
 * `secrets`, when given, links the two captures of one call: masking the
 * arguments adds the secret strings it masked, and redacting the result then
 * masks those strings wherever they appear in it (a tool that echoes its
 * input must not bring back a password the arguments' redaction removed).
 */
export type Redact = (
  root: 'arguments' | 'result',
  value: unknown,
  masks: readonly string[],
  secrets?: Set<string>,
) => string;

const NO_PATHS: readonly string[][] = [];

type CompiledMasks = Readonly<Record<'arguments' | 'result', readonly string[][]>>;

// A server's masks are one array for the life of its definition (definitions
// are replaced, not mutated): split them once, not on every captured body.
const compiled = new WeakMap<readonly string[], CompiledMasks>();

function compiledMasks(masks: readonly string[]): CompiledMasks {
  let paths = compiled.get(masks);
  if (paths === undefined) {
    const split = masks.map(maskSegments);
    const under = (root: string): string[][] =>
      split.filter((segments) => segments[0] === root).map((segments) => segments.slice(1));
    paths = { arguments: under('arguments'), result: under('result') };
    compiled.set(masks, paths);
  }
  return paths;
}

/** Echoes shorter than this are left alone: they would mask ordinary words. */
const MIN_ECHO_LENGTH = 6;

function collectStrings(value: unknown, into: Set<string> | undefined, depth = 0): void {
  if (into === undefined || depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (value.length >= MIN_ECHO_LENGTH) into.add(value);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectStrings(item, into, depth + 1);
  }
}

export function createRedactor(options: RedactorOptions): Redact {
  const patterns = (options.secretKeys ?? DEFAULT_SECRET_KEYS).map(normalize).filter(Boolean);
  const keyCache = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    let secret = keyCache.get(key);
    if (secret === undefined) {
      const normalized = normalize(key);
      secret = patterns.some((pattern) => normalized.includes(pattern));
      if (keyCache.size < 10_000) keyCache.set(key, secret);
    }
    return secret;
  };

  function scrubText(value: string, found: Set<string> | undefined, echoes: string[]): string {
    if (isOpaqueToken(value)) {
      found?.add(value);
      return MASK;
    }
    let text = scrubUris(value);
    for (const echo of echoes) if (text.includes(echo)) text = text.replaceAll(echo, MASK);
    if (text.length < MIN_SECRET_IN_TEXT) return text;
    return text.replace(SECRET_IN_TEXT, (match) => {
      found?.add(match);
      return MASK;
    });
  }

  /** `paths`: the remaining segments of every mask still matching at this depth. */
  function walk(
    value: unknown,
    paths: readonly (readonly string[])[],
    depth: number,
    found: Set<string> | undefined,
    echoes: string[],
  ): unknown {
    if (paths.length > 0 && paths.some((path) => path.length === 0)) {
      collectStrings(value, found);
      return MASK;
    }
    if (typeof value === 'string') return scrubText(value, found, echoes);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) return '[too deep]';
    // Most of a body lies under no mask: no per-key filtering there.
    const next = (key: string): readonly string[][] =>
      paths.length === 0
        ? NO_PATHS
        : paths.filter((path) => path[0] === '*' || path[0] === key).map((path) => path.slice(1));
    if (Array.isArray(value))
      return value.map((item, i) => walk(item, next(String(i)), depth + 1, found, echoes));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      let kept: unknown;
      if (isSecretKey(key) && item !== null) {
        collectStrings(item, found);
        kept = MASK;
      } else kept = walk(item, next(key), depth + 1, found, echoes);
      // `out.__proto__ =` would set the copy's prototype: the record must show the key the
      // upstream got. Defined as an own key instead (a prototype-less object would be slower).
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true });
      else out[key] = kept;
    }
    return out;
  }

  return (root, value, masks, secrets) => {
    const paths = compiledMasks(masks)[root];
    // Arguments add to the call's secrets; the result is scrubbed of them (longest first).
    const found = root === 'arguments' ? secrets : undefined;
    const echoes =
      root === 'result' && secrets !== undefined && secrets.size > 0
        ? [...secrets].sort((a, b) => b.length - a.length)
        : [];
    const text = JSON.stringify(walk(value, paths, 0, found, echoes)) ?? 'null';
    // A UTF-16 unit is at most 3 bytes of UTF-8: most bodies need no count.
    if (text.length * 3 <= options.maxBytes) return text;
    const bytes = Buffer.byteLength(text);
    if (bytes <= options.maxBytes) return text;
    // The envelope escapes the preview again: shrink it until the whole fits.
    let length = options.maxBytes;
    for (;;) {
      length = Math.floor(length * 0.8);
      const envelope = JSON.stringify({
        $truncated: true,
        $bytes: bytes,
        $preview: text.slice(0, length),
      });
      if (Buffer.byteLength(envelope) <= options.maxBytes || length === 0) return envelope;
    }
  };
}
