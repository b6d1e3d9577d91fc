/**
 * SSRF guard for every address the gateway connects to on an upstream's
 * behalf. Private, loopback, link-local and other special-purpose ranges
 * are refused unless an admin allowlists them (PORTCULLIS_UPSTREAM_ALLOW_PRIVATE).
 *
 * It hooks DNS resolution (the `lookup` option of net.connect, which undici
 * passes through) so the check applies to the address actually dialled,
 * which defeats DNS rebinding between check and connect.
 */
import dns from 'node:dns';
import net from 'node:net';
import { GatewayError } from '../shared/errors.ts';

const blockedV4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const blockedV6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
  // Forms that embed or translate to IPv4 addresses, and deprecated site-local.
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['::', 96],
  ['fec0::', 10],
];

export interface AddressGuard {
  /** Throws `forbidden` when the address may not be dialled. */
  check(address: string): void;
  isAllowed(address: string): boolean;
  /** A drop-in for dns.lookup that refuses blocked answers. */
  readonly lookup: net.LookupFunction;
  /** True when the allowlist opens any non-public range (warned at start-up). */
  readonly opensPrivateRanges: boolean;
}

function addCidr(list: net.BlockList, cidr: string): void {
  const [address, prefixText] = cidr.split('/');
  if (address === undefined || net.isIP(address) === 0)
    throw new Error(`"${cidr}" is not an IP address or CIDR range`);
  const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const prefix = prefixText === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv6' ? 128 : 32)) {
    throw new Error(`"${cidr}" has an invalid prefix length`);
  }
  list.addSubnet(address, prefix, family);
}

/** Maps IPv4-mapped IPv6 (::ffff:a.b.c.d) to its IPv4 form so both lists apply. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return { address: mapped[1], family: 'ipv4' };
  return { address, family: net.isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function createAddressGuard(allowPrivate: readonly string[]): AddressGuard {
  const blocked = new net.BlockList();
  for (const [address, prefix] of blockedV4) blocked.addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix] of blockedV6) blocked.addSubnet(address, prefix, 'ipv6');
  const allowAll = allowPrivate.includes('*');
  const allowed = new net.BlockList();
  for (const cidr of allowPrivate) if (cidr !== '*') addCidr(allowed, cidr);

  const isAllowed = (raw: string): boolean => {
    if (net.isIP(raw) === 0) return false;
    const { address, family } = normalise(raw);
    if (!blocked.check(address, family)) return true;
    return allowAll || allowed.check(address, family);
  };

  const check = (address: string): void => {
    if (!isAllowed(address)) {
      throw new GatewayError(
        'forbidden',
        `Upstream address ${address} is in a private or reserved range; an admin must allowlist it (PORTCULLIS_UPSTREAM_ALLOW_PRIVATE).`,
      );
    }
  };

  const lookup = ((
    hostname: string,
    options: dns.LookupOptions,
    callback: (...args: unknown[]) => void,
  ) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const list = addresses;
      const permitted = list.filter((entry) => isAllowed(entry.address));
      if (permitted.length === 0) {
        const refused = new GatewayError(
          'forbidden',
          `Upstream host ${hostname} resolves only to private or reserved addresses (${list.map((e) => e.address).join(', ')}); an admin must allowlist them.`,
        );
        return callback(refused);
      }
      if (options.all === true) return callback(null, permitted);
      const first = permitted[0]!;
      return callback(null, first.address, first.family);
    });
  }) as unknown as net.LookupFunction;

  return { check, isAllowed, lookup, opensPrivateRanges: allowAll || allowPrivate.length > 0 };
}
