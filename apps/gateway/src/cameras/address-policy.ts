import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RtspError, RtspErrorCode } from '@camgate/rtsp';

/**
 * Which camera addresses the gateway connects to (S01/S02: a camera URL must not become a way to
 * reach the gateway's own machine or the cloud metadata service). Cameras live on private
 * networks, so those are allowed; refused unless allowlisted: loopback, "this network"
 * (0.0.0.0/8, ::), link-local (169.254/16 with the metadata service, fe80::/10, AWS's
 * fd00:ec2::254), multicast, reserved and broadcast. IPv4-mapped and NAT64 IPv6 forms are
 * checked as the IPv4 address they carry; numeric host forms (`2130706433`, `0x7f.1`) are
 * resolved by the system first, so they get no way around the check. The address checked is the
 * address connected to (returned to the RTSP client), so DNS cannot change it in between.
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

const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['ff00::', 8],
  ['fd00:ec2::254', 128],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv6');

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

/** Why an address is refused, or undefined when cameras may live there. */
export function refusal(address: string): string | undefined {
  if (isIP(address) === 4) return REFUSED.check(address, 'ipv4') ? kindOf(address) : undefined;
  const lower = address.toLowerCase();
  const embedded = embeddedIpv4(lower);
  if (embedded !== undefined) return refusal(embedded);
  return REFUSED.check(lower, 'ipv6') ? kindOf(lower) : undefined;
}

function kindOf(address: string): string {
  if (/^127\.|^::1$/.test(address)) return 'loopback';
  if (/^169\.254\.|^fe[89ab]|^fd00:ec2::254$/.test(address)) return 'link-local';
  if (/^0\.|^::$/.test(address)) return 'unspecified';
  if (/^2(2[4-9]|3\d)\.|^ff/.test(address)) return 'multicast';
  return 'reserved';
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted !== null) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hex === null) return undefined;
  const high = parseInt(hex[1] ?? '0', 16);
  const low = parseInt(hex[2] ?? '0', 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
