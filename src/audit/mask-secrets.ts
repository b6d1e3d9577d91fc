/**
 * What an audit entry may show of a stored value: a JSON copy where every
 * secret reads "[secret]". Masked by field name (passwords, hashes, tokens,
 * keys, sealed material) and by value shape (vault-sealed values, API keys,
 * JWTs), so a new secret field is masked before anyone remembers to list it.
 */
import { isSealedValue } from '../auth/upstream-credentials/vault.ts';

export const SECRET_MASK = '[secret]';

const SECRET_NAME =
  /password|passphrase|secret|token|authorization|cookie|credential|private|sealed|^jwk$|^key$|api[-_]?key$|key_?hash$|^value$/i;
const SECRET_VALUE = /^(pcl_|Bearer\s)|^eyJ[\w-]*\.[\w-]*\./;

function maskValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && SECRET_NAME.test(key) && value !== null && value !== '')
    return SECRET_MASK;
  if (typeof value === 'string')
    return isSealedValue(value) || SECRET_VALUE.test(value) ? SECRET_MASK : value;
  if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined));
  if (value !== null && typeof value === 'object') {
    const masked: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) masked[name] = maskValue(inner, name);
    return masked;
  }
  return value;
}

/** Plain JSON (dates as ISO strings, undefined dropped), secrets masked; undefined → null. */
export function toAuditJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const json = JSON.parse(JSON.stringify(value)) as unknown;
  return maskValue(json, undefined);
}
