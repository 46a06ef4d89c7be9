import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RtspError, RtspErrorCode } from '@camgate/rtsp';

/**
 * Which camera addresses the gateway connects to (S01/S02: a camera URL must not become a way to
 * reach the gateway's own machine or the cloud metadata service). Cameras live on private
 * networks, so those are allowed; refused unless allowlisted: loopback, "this network"
 * (0.0.0.0/8, ::), link-local (169.254/16 with the metadata service, fe80::/10, AWS's
 * fd00:ec2::254), multicast, reserved and broadcast. IPv6 addresses that carry an IPv4 address
 * (IPv4-compatible, IPv4-mapped, SIIT IPv4-translated, NAT64 and 6to4: see IPV4_EMBEDDINGS) are
 * checked as the IPv4 address they carry, whatever their textual form: addresses are parsed into
 * their bytes and judged by prefix. Numeric host forms (`2130706433`, `0x7f.1`) are resolved by
 * the system first, so they get no way around the check. The address checked is the address
 * connected to (returned to the RTSP client), so DNS cannot change it in between.
 */
export interface AddressPolicyOptions {
  /** CIDRs (`127.0.0.1/32`, `fe80::/10`) or `address:port` endpoints allowed despite the rules. */
  allow?: readonly string[];
  /** Resolves a host name (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

export interface AddressPolicy {
  (target: { host: string; port: number }): Promise<{ address: string }>;
  /** Allows one more `address:port` endpoint (the built-in demo camera's). */
  allowEndpoint(endpoint: string): void;
}

export function createAddressPolicy(options: AddressPolicyOptions = {}): AddressPolicy {
  const allowed = new BlockList();
  const endpoints = new Set<string>();
  for (const entry of options.allow ?? []) {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr !== null) {
      const [, network = '', prefix = ''] = cidr;
      const family = isIP(network);
      if (family === 0) throw new Error(`"${entry}" is not a CIDR`);
      allowed.addSubnet(network, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    } else {
      endpoints.add(entry.toLowerCase());
    }
  }
  const resolve =
    options.resolve ?? (async (host: string) => (await lookup(host, { all: true })).map((a) => a.address));

  const policy = async ({ host, port }: { host: string; port: number }) => {
    const bare = host.replace(/^\[|\]$/g, '');
    const addresses = isIP(bare) === 0 ? await resolveOrRefuse(resolve, bare) : [bare];
    const address = addresses[0];
    if (address === undefined)
      throw new RtspError(RtspErrorCode.CONNECTION_FAILED, 'the camera host name has no address');
    const reason = refusal(address);
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const endpoint = family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
    if (reason !== undefined && !allowed.check(address, family) && !endpoints.has(endpoint.toLowerCase())) {
      // One uniform message whatever the host said (S01: no banner, no port probing).
      throw new Error(`camera address not allowed (${reason}); allow it with CAMGATE_CAMERA_ALLOWLIST`);
    }
    return { address };
  };
  return Object.assign(policy, { allowEndpoint: (endpoint: string) => void endpoints.add(endpoint.toLowerCase()) });
}

async function resolveOrRefuse(resolve: (host: string) => Promise<string[]>, host: string): Promise<string[]> {
  try {
    return await resolve(host);
  } catch {
    // Not a refusal: DNS may answer later (the camera's name is registered when it boots).
    throw new RtspError(RtspErrorCode.CONNECTION_FAILED, 'the camera host name does not resolve');
  }
}

/** Bytes in an IPv4 address. */
const IPV4_BYTES = 4;
/** Bytes in an IPv6 address (RFC 4291 §2). */
const IPV6_BYTES = 16;
/** 16-bit pieces in an IPv6 address (RFC 4291 §2.2). */
const IPV6_PIECES = 8;
/** 15 characters: the longest dotted quad, `255.255.255.255`. */
const MAX_IPV4_TEXT = 15;
/** 45 characters: the longest IPv6 text, six 4-digit pieces and a dotted quad (INET6_ADDRSTRLEN is 46 with its NUL). */
const MAX_IPV6_TEXT = 45;
/** 64 characters: a zone id is an interface name (at most 15 characters: IFNAMSIZ is 16 on Linux and BSD) or index. */
const MAX_ZONE_ID = 64;
/** One piece of an IPv6 address: 1 to 4 hex digits, as Node's isIP accepts (`0064`, not `00064`). */
const HEX_PIECE = /^[0-9A-Fa-f]{1,4}$/;
/** One byte of a dotted quad, without leading zeros as in Node's isIP (`010` is octal to inet_aton). */
const DECIMAL_BYTE = /^(?:0|[1-9]\d{0,2})$/;
/** The characters Node's isIP accepts in a zone id. */
const ZONE_ID = /^[0-9A-Za-z.:-]+$/;

type Kind = 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/** Addresses whose first `bits` bits are those of `network`. */
interface Prefix {
  readonly network: Uint8Array;
  readonly bits: number;
}

/** A refused network and the kind of network the refusal names. */
interface RefusedNetwork extends Prefix {
  readonly kind: Kind;
}

/** An IPv6 prefix whose addresses carry an IPv4 address, in the bytes at `ipv4At`. */
interface Ipv4Embedding extends Prefix {
  readonly ipv4At: readonly number[];
}

/** IPv4 networks refused, with the kind the refusal names (RFC 6890 §2.2.2). */
const REFUSED_IPV4: readonly RefusedNetwork[] = [
  { ...prefix('0.0.0.0', 8), kind: 'unspecified' }, // "this network", RFC 1122 §3.2.1.3
  { ...prefix('127.0.0.0', 8), kind: 'loopback' }, // RFC 1122 §3.2.1.3
  { ...prefix('169.254.0.0', 16), kind: 'link-local' }, // RFC 3927, with the metadata service 169.254.169.254
  { ...prefix('224.0.0.0', 4), kind: 'multicast' }, // RFC 5771
  { ...prefix('240.0.0.0', 4), kind: 'reserved' }, // RFC 1112 §4, with the broadcast 255.255.255.255 (RFC 919 §7)
];

/** IPv6 networks refused as such, checked before any IPv4 address inside (`::` and `::1` are also IPv4-compatible). */
const REFUSED_IPV6: readonly RefusedNetwork[] = [
  { ...prefix('::', 128), kind: 'unspecified' }, // RFC 4291 §2.5.2
  { ...prefix('::1', 128), kind: 'loopback' }, // RFC 4291 §2.5.3
  { ...prefix('fe80::', 10), kind: 'link-local' }, // RFC 4291 §2.5.6
  { ...prefix('fd00:ec2::254', 128), kind: 'link-local' }, // AWS's instance metadata service over IPv6
  { ...prefix('ff00::', 8), kind: 'multicast' }, // RFC 4291 §2.7
];

/** The last 32 bits of an IPv6 address. */
const LOW_32 = [12, 13, 14, 15] as const;

/**
 * IPv6 forms that carry an IPv4 address, with the bytes it sits in. Connecting to one reaches that
 * IPv4 host (through the dual stack, a translator or a 6to4 relay), so it is judged as that host.
 * The prefixes are disjoint.
 */
const IPV4_EMBEDDINGS: readonly Ipv4Embedding[] = [
  // IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1): deprecated, but some stacks still send it over IPv4.
  { ...prefix('::', 96), ipv4At: LOW_32 },
  // IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): a dual-stack socket connects over IPv4.
  { ...prefix('::ffff:0:0', 96), ipv4At: LOW_32 },
  // SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765 §2.1, RFC 6052 §2).
  { ...prefix('::ffff:0:0:0', 96), ipv4At: LOW_32 },
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052 §2.1, layout of §2.2).
  { ...prefix('64:ff9b::', 96), ipv4At: LOW_32 },
  // NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215) with the /48 layout of RFC 6052 §2.2: bits 48-63
  // and 72-87 around the u octet (bits 64-71). A non-zero u octet or suffix does not hide the address.
  { ...prefix('64:ff9b:1::', 48), ipv4At: [6, 7, 9, 10] },
  // 6to4 2002:V4ADDR::/48 (RFC 3056 §2): the relay tunnels to the IPv4 address in bits 16-47.
  { ...prefix('2002::', 16), ipv4At: [2, 3, 4, 5] },
];

/** Why an address is refused (the kind of network: loopback, link-local...), or undefined when cameras may live there. */
export function refusal(address: string): string | undefined {
  const ipv4 = parseIpv4(address);
  if (ipv4 !== undefined) return ipv4Refusal(ipv4);
  const ipv6 = parseIpv6(address);
  // Fail closed: only resolver output and hosts that isIP() accepted get here.
  if (ipv6 === undefined) return 'not an IP address';
  const refused = REFUSED_IPV6.find((range) => inPrefix(ipv6, range));
  if (refused !== undefined) return refused.kind;
  const carried = carriedIpv4(ipv6);
  return carried === undefined ? undefined : ipv4Refusal(carried);
}

/**
 * The IPv4 address (dotted) an IPv6 address carries (see IPV4_EMBEDDINGS), or undefined. By prefix
 * alone: `::1` carries 0.0.0.1, though refusal() judges it as IPv6 loopback first.
 */
export function embeddedIpv4(address: string): string | undefined {
  const ipv6 = parseIpv6(address);
  return ipv6 === undefined ? undefined : carriedIpv4(ipv6)?.join('.');
}

function carriedIpv4(ipv6: Uint8Array): Uint8Array | undefined {
  const embedding = IPV4_EMBEDDINGS.find((form) => inPrefix(ipv6, form));
  return embedding === undefined ? undefined : Uint8Array.from(embedding.ipv4At, (at) => ipv6[at] as number);
}

function ipv4Refusal(ipv4: Uint8Array): Kind | undefined {
  return REFUSED_IPV4.find((range) => inPrefix(ipv4, range))?.kind;
}

/** A dotted quad (`192.168.1.64`) as its 4 bytes, or undefined when Node's isIP would not call it IPv4. */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (text.length > MAX_IPV4_TEXT) return undefined;
  const parts = text.split('.');
  if (parts.length !== IPV4_BYTES) return undefined;
  const bytes = new Uint8Array(IPV4_BYTES);
  for (const [i, part] of parts.entries()) {
    const value = DECIMAL_BYTE.test(part) ? Number(part) : 256;
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * Any IPv6 text form as its 16 bytes (RFC 4291 §2.2: `::` compression, a dotted quad in the last
 * 32 bits, either case, leading zeros up to 4 digits a piece), or undefined when Node's isIP would
 * not call it IPv6. A zone id (`fe80::1%eth0`, RFC 4007 §11) picks the interface, not the address,
 * so it is checked and dropped.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > MAX_IPV6_TEXT + 1 + MAX_ZONE_ID) return undefined;
  const percent = text.indexOf('%');
  const address = percent === -1 ? text : text.slice(0, percent);
  if (address.length > MAX_IPV6_TEXT) return undefined;
  const zone = percent === -1 ? undefined : text.slice(percent + 1);
  if (zone !== undefined && (zone.length > MAX_ZONE_ID || !ZONE_ID.test(zone))) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = pieces(halves[0] ?? '', !compressed);
  const tail = compressed ? pieces(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  // "::" stands for one or more zero pieces (RFC 4291 §2.2).
  const zeros = IPV6_PIECES - head.length - tail.length;
  if (compressed ? zeros < 1 : zeros !== 0) return undefined;
  const bytes = new Uint8Array(IPV6_BYTES);
  for (const [i, piece] of [...head, ...new Array<number>(zeros).fill(0), ...tail].entries()) {
    bytes[2 * i] = piece >> 8;
    bytes[2 * i + 1] = piece & 0xff;
  }
  return bytes;
}

/** The 16-bit pieces of `64:ff9b:1`, the last of which may be a dotted quad (two pieces), or undefined. */
function pieces(text: string, dottedLast: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const values: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (HEX_PIECE.test(part)) {
      values.push(parseInt(part, 16));
      continue;
    }
    const ipv4 = dottedLast && i === parts.length - 1 ? parseIpv4(part) : undefined;
    if (ipv4 === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = ipv4;
    values.push((a << 8) | b, (c << 8) | d);
  }
  return values;
}

function inPrefix(address: Uint8Array, { network, bits }: Prefix): boolean {
  if (address.length !== network.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network[i]) return false;
  const mask = (0xff00 >> (bits & 7)) & 0xff;
  return (((address[whole] ?? 0) ^ (network[whole] ?? 0)) & mask) === 0;
}

function prefix(network: string, bits: number): Prefix {
  const bytes = parseIpv4(network) ?? parseIpv6(network);
  if (bytes === undefined || bits > bytes.length * 8) throw new Error(`bad prefix ${network}/${bits}`);
  return { network: bytes, bits };
}
