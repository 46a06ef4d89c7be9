import { isIP } from 'node:net';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAddressPolicy, embeddedIpv4, parseIpv4, parseIpv6, refusal } from './address-policy.js';

describe('camera address policy (S01, S02)', () => {
  it.for([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ] as const)('refuses %s (%s)', ([address, kind]) => {
    expect(refusal(address)).toBe(kind);
  });

  it.for([
    '192.168.1.64',
    '10.0.0.5',
    '172.16.3.4',
    '100.64.1.1',
    '8.8.8.8',
    'fd12:3456::1',
    '2001:db8::7',
    '::ffff:192.168.1.2',
  ])('allows %s (cameras live on private and public networks)', (address) => {
    expect(refusal(address)).toBeUndefined();
  });

  it('resolves names and numeric forms first, and connects to the address it checked', async () => {
    const names: Record<string, string[]> = {
      'cam.local': ['192.168.1.64'],
      'evil.example': ['127.0.0.1'],
      '2130706433': ['127.0.0.1'],
      'metadata.internal': ['169.254.169.254'],
    };
    const policy = createAddressPolicy({ resolve: (host) => Promise.resolve(names[host] ?? []) });
    await expect(policy({ host: 'cam.local', port: 554 })).resolves.toEqual({ address: '192.168.1.64' });
    for (const host of ['evil.example', '2130706433', 'metadata.internal', '127.0.0.1', '[::1]']) {
      await expect(policy({ host, port: 554 })).rejects.toThrow(/camera address not allowed/);
    }
    await expect(policy({ host: 'nowhere', port: 554 })).rejects.toMatchObject({ code: 'RTSP_CONNECTION_FAILED' });
  });

  it('judges IPv6 hosts and resolved addresses by the IPv4 address they embed, zone ids included', async () => {
    const names: Record<string, string[]> = {
      'nat64.example': ['64:ff9b:1:a9fe:a9:fe00::'],
      'cam.nat64.example': ['64:ff9b:1:c0a8:1:1400::'],
      'junk.example': ['not-an-address'],
    };
    const policy = createAddressPolicy({ resolve: (host) => Promise.resolve(names[host] ?? []) });
    for (const host of ['nat64.example', 'junk.example', '[2002:7f00:1::1]', '[::7f00:1]', '[fe80::1%eth0]']) {
      await expect(policy({ host, port: 554 })).rejects.toThrow(/camera address not allowed/);
    }
    await expect(policy({ host: 'cam.nat64.example', port: 554 })).resolves.toEqual({
      address: '64:ff9b:1:c0a8:1:1400::',
    });
    await expect(policy({ host: '[::ffff:0:10.0.0.5]', port: 554 })).resolves.toEqual({ address: '::ffff:0:10.0.0.5' });
    const allowing = createAddressPolicy({ allow: ['fe80::/10'], resolve: () => Promise.resolve([]) });
    await expect(allowing({ host: '[fe80::1%eth0]', port: 554 })).resolves.toEqual({ address: 'fe80::1%eth0' });
  });

  it('allowlists networks and exact endpoints', async () => {
    const policy = createAddressPolicy({ allow: ['127.0.0.0/8', '[::1]:8554'], resolve: () => Promise.resolve([]) });
    await expect(policy({ host: '127.0.0.1', port: 1 })).resolves.toEqual({ address: '127.0.0.1' });
    await expect(policy({ host: '[::1]', port: 8554 })).resolves.toEqual({ address: '::1' });
    await expect(policy({ host: '[::1]', port: 8555 })).rejects.toThrow(/not allowed/);
    policy.allowEndpoint('[::1]:8555');
    await expect(policy({ host: '[::1]', port: 8555 })).resolves.toEqual({ address: '::1' });
  });
});

/** IPv6 text styles the property tests write addresses in. */
const STYLES = ['canonical', 'uncompressed', 'padded upper-case', 'dotted', 'zone id'] as const;
type Style = (typeof STYLES)[number];

/** Writes 16 bytes as IPv6 text; 'canonical' is RFC 5952 §4 (and WHATWG URL) form. */
function formatIpv6(bytes: Uint8Array, style: Style): string {
  const hex = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  switch (style) {
    case 'canonical':
      return compress(hex);
    case 'uncompressed':
      return hex.join(':');
    case 'padded upper-case':
      return hex.map((piece) => piece.padStart(4, '0').toUpperCase()).join(':');
    case 'dotted':
      return compress([...hex.slice(0, 6), Array.from(bytes.subarray(12)).join('.')]);
    case 'zone id':
      return `${compress(hex).toUpperCase()}%eth0`;
  }
}

/** Replaces the first longest run of two or more zero pieces with `::` (RFC 5952 §4.2). */
function compress(pieces: string[]): string {
  let best = { at: -1, length: 1 };
  for (let at = 0; at < pieces.length; at++) {
    let length = 0;
    while (pieces[at + length] === '0') length++;
    if (length > best.length) best = { at, length };
  }
  if (best.at === -1) return pieces.join(':');
  return `${pieces.slice(0, best.at).join(':')}::${pieces.slice(best.at + best.length).join(':')}`;
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
}

describe('IPv6 forms that embed an IPv4 address (RFC 4291 §2.5.5, RFC 2765 §2.1, RFC 6052, RFC 8215, RFC 3056)', () => {
  it.for([
    ['IPv4-compatible ::/96', '::127.0.0.1', '127.0.0.1', 'loopback'],
    ['IPv4-compatible ::/96', '::7f00:1', '127.0.0.1', 'loopback'],
    ['IPv4-compatible ::/96', '0:0:0:0:0:0:7F00:0001', '127.0.0.1', 'loopback'],
    ['IPv4-compatible ::/96', '0000:0000:0000:0000:0000:0000:127.0.0.1', '127.0.0.1', 'loopback'],
    ['IPv4-compatible ::/96', '::169.254.169.254', '169.254.169.254', 'link-local'],
    ['IPv4-compatible ::/96', '::A9FE:A9FE', '169.254.169.254', 'link-local'],
    ['IPv4-compatible ::/96', '::0.0.0.0', '0.0.0.0', 'unspecified'],
    ['IPv4-compatible ::/96', '::0.0.0.2', '0.0.0.2', 'unspecified'],
    ['IPv4-compatible ::/96', '::224.0.0.1', '224.0.0.1', 'multicast'],
    ['IPv4-compatible ::/96', '0::e000:1', '224.0.0.1', 'multicast'],
    ['IPv4-compatible ::/96', '::192.168.1.20', '192.168.1.20', 'allowed'],
    ['IPv4-compatible ::/96', '0:0:0:0:0:0:c0a8:0114', '192.168.1.20', 'allowed'],
    ['IPv4-compatible ::/96', '::10.0.0.5', '10.0.0.5', 'allowed'],
    ['IPv4-compatible ::/96', '::a00:5', '10.0.0.5', 'allowed'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:127.0.0.1', '127.0.0.1', 'loopback'],
    ['IPv4-mapped ::ffff:0:0/96', '0:0:0:0:0:FFFF:7F00:0001', '127.0.0.1', 'loopback'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:127.0.0.1%lo', '127.0.0.1', 'loopback'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:a9fe:a9fe', '169.254.169.254', 'link-local'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:0.0.0.0', '0.0.0.0', 'unspecified'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:0:0', '0.0.0.0', 'unspecified'],
    ['IPv4-mapped ::ffff:0:0/96', '::FFFF:224.0.0.1', '224.0.0.1', 'multicast'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:c0a8:114', '192.168.1.20', 'allowed'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:10.0.0.5', '10.0.0.5', 'allowed'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:127.0.0.1', '127.0.0.1', 'loopback'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:7f00:1', '127.0.0.1', 'loopback'],
    ['SIIT ::ffff:0:0:0/96', '0000:0000:0000:0000:FFFF:0000:7F00:0001', '127.0.0.1', 'loopback'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:169.254.169.254', '169.254.169.254', 'link-local'],
    ['SIIT ::ffff:0:0:0/96', '0:0:0:0:ffff:0:a9fe:a9fe', '169.254.169.254', 'link-local'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:0.0.0.0', '0.0.0.0', 'unspecified'],
    ['SIIT ::ffff:0:0:0/96', '0:0:0:0:ffff::', '0.0.0.0', 'unspecified'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:e000:1', '224.0.0.1', 'multicast'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:192.168.1.20', '192.168.1.20', 'allowed'],
    ['SIIT ::ffff:0:0:0/96', '0:0:0:0:FFFF:0:C0A8:114', '192.168.1.20', 'allowed'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:10.0.0.5', '10.0.0.5', 'allowed'],
    ['SIIT ::ffff:0:0:0/96', '::ffff:0:a00:5', '10.0.0.5', 'allowed'],
    ['NAT64 64:ff9b::/96', '64:ff9b::127.0.0.1', '127.0.0.1', 'loopback'],
    ['NAT64 64:ff9b::/96', '0064:FF9B:0000:0000:0000:0000:7F00:0001', '127.0.0.1', 'loopback'],
    ['NAT64 64:ff9b::/96', '64:ff9b::a9fe:a9fe', '169.254.169.254', 'link-local'],
    ['NAT64 64:ff9b::/96', '64:ff9b::', '0.0.0.0', 'unspecified'],
    ['NAT64 64:ff9b::/96', '64:ff9b::224.0.0.1', '224.0.0.1', 'multicast'],
    ['NAT64 64:ff9b::/96', '64:ff9b::c0a8:114', '192.168.1.20', 'allowed'],
    ['NAT64 64:ff9b::/96', '64:FF9B:0:0:0:0:10.0.0.5', '10.0.0.5', 'allowed'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:7f00:0:100::', '127.0.0.1', 'loopback'],
    ['NAT64 64:ff9b:1::/48', '0064:FF9B:0001:7F00:0000:0100:0000:0000', '127.0.0.1', 'loopback'],
    // The dotted quad is the suffix, not the embedded address.
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:7f00:0:100:0.0.0.0', '127.0.0.1', 'loopback'],
    // A non-zero u octet and suffix (RFC 6052 §2.2: MUST and SHOULD be zero) hide nothing.
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:7f00:ff00:100::1', '127.0.0.1', 'loopback'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:a9fe:a9:fe00::', '169.254.169.254', 'link-local'],
    ['NAT64 64:ff9b:1::/48', '64:FF9B:1:A9FE:00A9:FE00:0:0', '169.254.169.254', 'link-local'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1::', '0.0.0.0', 'unspecified'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:0:0:0:0.0.0.0', '0.0.0.0', 'unspecified'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:e000:0:100::', '224.0.0.1', 'multicast'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:E000::100:0:0', '224.0.0.1', 'multicast'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:c0a8:1:1400::', '192.168.1.20', 'allowed'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:C0A8:0001:1400:0:0', '192.168.1.20', 'allowed'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:a00:0:500::', '10.0.0.5', 'allowed'],
    ['NAT64 64:ff9b:1::/48', '64:ff9b:1:a00:0:500:0.0.0.0', '10.0.0.5', 'allowed'],
    ['6to4 2002::/16', '2002:7f00:1::1', '127.0.0.1', 'loopback'],
    ['6to4 2002::/16', '2002:7f00:0001::', '127.0.0.1', 'loopback'],
    ['6to4 2002::/16', '2002:7F00:1:0:0:0:0:1', '127.0.0.1', 'loopback'],
    ['6to4 2002::/16', '2002:7f00:1::1%eth0', '127.0.0.1', 'loopback'],
    // The relay tunnels to bits 16-47; a dotted interface id is not where the packet goes.
    ['6to4 2002::/16', '2002:7f00:1:ffff::10.0.0.5', '127.0.0.1', 'loopback'],
    ['6to4 2002::/16', '2002:a9fe:a9fe::1', '169.254.169.254', 'link-local'],
    ['6to4 2002::/16', '2002:A9FE:A9FE:0:0:0:0:0', '169.254.169.254', 'link-local'],
    ['6to4 2002::/16', '2002::', '0.0.0.0', 'unspecified'],
    ['6to4 2002::/16', '2002:0:0::192.168.1.20', '0.0.0.0', 'unspecified'],
    ['6to4 2002::/16', '2002:e000:1::', '224.0.0.1', 'multicast'],
    ['6to4 2002::/16', '2002:E000:0001:abcd::1', '224.0.0.1', 'multicast'],
    ['6to4 2002::/16', '2002:c0a8:114::1', '192.168.1.20', 'allowed'],
    ['6to4 2002::/16', '2002:C0A8:0114:0:0:0:0:1', '192.168.1.20', 'allowed'],
    ['6to4 2002::/16', '2002:c0a8:114::127.0.0.1', '192.168.1.20', 'allowed'],
    ['6to4 2002::/16', '2002:a00:5::', '10.0.0.5', 'allowed'],
    ['6to4 2002::/16', '2002:0a00:0005:1::1%eth0', '10.0.0.5', 'allowed'],
    ['no embedding', '2003:7f00:1::1', 'nothing', 'allowed'],
    ['no embedding', '::1:0:7f00:1', 'nothing', 'allowed'],
    ['no embedding', '::fffe:7f00:1', 'nothing', 'allowed'],
  ] as const)('%s: %s carries %s, so is %s', ([, address, ipv4, kind]) => {
    expect(embeddedIpv4(address) ?? 'nothing').toBe(ipv4);
    expect(refusal(address) ?? 'allowed').toBe(kind);
  });

  it(
    'fuzz: each embedding of an IPv4 address, in any text form, is refused exactly when the IPv4 address is',
    { timeout: fuzzTimeout() },
    () => {
      const octet = fc.nat({ max: 255 });
      // Refused networks are small: draw their first octets (and 169.254) often.
      const ipv4 = fc.tuple(
        fc.oneof(octet, fc.constantFrom(0, 10, 127, 169, 192, 223, 224, 239, 240, 255)),
        fc.oneof(octet, fc.constantFrom(0, 168, 254)),
        octet,
        octet,
      );
      const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
      const zeros = (count: number) => new Array<number>(count).fill(0);
      fc.assert(
        fc.property(
          ipv4,
          fc.uint8Array({ minLength: 10, maxLength: 10 }),
          fc.boolean(),
          fc.constantFrom(...STYLES),
          ([a, b, c, d], noise, quiet, style) => {
            const v = [a, b, c, d];
            // RFC 6052 §2.2 wants the u octet and suffix zero; a sender need not comply.
            const u = quiet ? [0] : noise.subarray(0, 1);
            const suffix = quiet ? zeros(5) : [...noise.subarray(1, 6)];
            const embeddings = {
              'IPv4-compatible': bytes(zeros(12), v),
              'IPv4-mapped': bytes(zeros(10), [0xff, 0xff], v),
              SIIT: bytes(zeros(8), [0xff, 0xff, 0, 0], v),
              'NAT64 /96': bytes([0x00, 0x64, 0xff, 0x9b], zeros(8), v),
              'NAT64 local-use /48': bytes([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01, a, b], [...u], [c, d], suffix),
              '6to4': bytes([0x20, 0x02], v, [...noise]),
            };
            const dotted = v.join('.');
            for (const [form, embedding] of Object.entries(embeddings)) {
              // ::0.0.0.1 is ::1, refused as IPv6 loopback before the IPv4 "this network" inside.
              const expected = form === 'IPv4-compatible' && dotted === '0.0.0.1' ? 'loopback' : refusal(dotted);
              const text = formatIpv6(embedding, style);
              expect(embeddedIpv4(text), `${form} ${text}`).toBe(dotted);
              expect(refusal(text), `${form} ${text}`).toBe(expected);
            }
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
  );
});

describe('parseIpv6 and parseIpv4', () => {
  it.for([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['::ffff:127.0.0.1', '00000000000000000000ffff7f000001'],
    ['::FFFF:7F00:1', '00000000000000000000ffff7f000001'],
    ['0:0:0:0:0:ffff:7f00:1', '00000000000000000000ffff7f000001'],
    ['0000:0000:0000:0000:0000:ffff:127.0.0.1', '00000000000000000000ffff7f000001'],
    ['64:ff9b:1:7f00:0:100::', '0064ff9b00017f000000010000000000'],
    ['2002:7f00:0001::1', '20027f00000100000000000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['fe80::1%1', 'fe800000000000000000000000000001'],
    ['fe80::1%en0.1:a-b', 'fe800000000000000000000000000001'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1:2:3:4:5:6::8', '00010002000300040005000600000008'],
    ['1:2:3:4:5::1.2.3.4', '00010002000300040005000001020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    // RFC 4291 §2.2 examples.
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcdef0123456789abcdef0123456789'],
    ['2001:DB8:0:0:8:800:200C:417A', '20010db80000000000080800200c417a'],
    ['2001:DB8::8:800:200C:417A', '20010db80000000000080800200c417a'],
    ['::13.1.68.3', '0000000000000000000000000d014403'],
    ['::FFFF:129.144.52.38', '00000000000000000000ffff81903426'],
  ] as const)('parses %s into %s', ([text, bytes]) => {
    expect(hex(parseIpv6(text))).toBe(bytes);
    expect(isIP(text)).toBe(6);
  });

  it.for([
    '',
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6::1.2.3.4',
    '12345::',
    '00064::',
    'g::',
    ':1::',
    '1::2:',
    '::1.2.3',
    '::1.2.3.4.5',
    '::256.0.0.1',
    '::01.2.3.4',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '127.0.0.1',
    'fe80::1%',
    'fe80::1%eth_0',
    'fe80::1%eth0%1',
    ' ::1',
    '::1\n',
    '[::1]',
  ])('rejects %j, as isIP does', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
    expect(isIP(text)).not.toBe(6);
  });

  it('rejects a zone id longer than MAX_ZONE_ID, so the policy refuses it (isIP accepts it)', () => {
    const text = `2001:db8::1%${'e'.repeat(65)}`;
    expect(isIP(text)).toBe(6);
    expect(parseIpv6(text)).toBeUndefined();
    expect(refusal(text)).toBe('not an IP address');
  });

  it.for([
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['192.168.1.20', 'c0a80114'],
    ['256.0.0.1', undefined],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['0x7f.0.0.1', undefined],
    ['1.2.3.-4', undefined],
    ['1.2.3.4 ', undefined],
    ['', undefined],
  ] as const)('parseIpv4(%j) is %s, as isIP says', ([text, bytes]) => {
    expect(hex(parseIpv4(text))).toBe(bytes);
    expect(isIP(text) === 4).toBe(bytes !== undefined);
  });

  it(
    'fuzz: accepts exactly the IPv6 text isIP accepts, with the bytes the WHATWG URL parser reads',
    { timeout: fuzzTimeout() },
    () => {
      const alphabet = '0123456789abcdefABCDEFg:.%-x '.split('');
      const piece = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
      const written = fc
        .tuple(fc.array(piece, { minLength: 8, maxLength: 8 }), fc.constantFrom(...STYLES))
        .map(([pieces, style]) => formatIpv6(Uint8Array.from(pieces.flatMap((p) => [p >> 8, p & 0xff])), style));
      const edit = fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('insert', 'delete', 'replace'),
        char: fc.constantFrom(...alphabet),
      });
      const damaged = fc.tuple(written, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) =>
        edits.reduce((s, { at, kind, char }) => {
          const i = at % (s.length + 1);
          return s.slice(0, i) + (kind === 'delete' ? '' : char) + s.slice(kind === 'insert' ? i : i + 1);
        }, text),
      );
      const random = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 50 });
      fc.assert(
        fc.property(fc.oneof(written, damaged, random), (text) => {
          const bytes = parseIpv6(text);
          expect(bytes !== undefined, text).toBe(isIP(text) === 6);
          if (bytes === undefined) return;
          expect(bytes).toHaveLength(16);
          const address = text.split('%')[0]!;
          expect(`[${formatIpv6(bytes, 'canonical')}]`, text).toBe(new URL(`http://[${address}]/`).hostname);
          expect(typeof (refusal(text) ?? '')).toBe('string');
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
