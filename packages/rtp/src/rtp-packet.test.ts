import { isCodedError } from '@camgate/bits';
import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from './errors.js';
import { RtpPacket, parseRtpPacket } from './rtp-packet.js';

const header = [0x80, 0xe0, 0xff, 0xfe, 0xfa, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78];

describe('parseRtpPacket (RFC 3550 §5.1)', () => {
  it('parses a marked H.264 packet', () => {
    const p = parseRtpPacket(Uint8Array.from([...header, 0x65, 0x88]));
    expect({
      marker: p.marker,
      payloadType: p.payloadType,
      sequenceNumber: p.sequenceNumber,
      timestamp: p.timestamp,
      ssrc: p.ssrc,
      payload: [...p.payload],
    }).toEqual({
      marker: true,
      payloadType: 96,
      sequenceNumber: 0xfffe,
      timestamp: 0xfabcdef0,
      ssrc: 0x12345678,
      payload: [0x65, 0x88],
    });
  });

  it('skips CSRCs and a header extension, and strips padding', () => {
    // V=2 P=1 X=1 CC=1
    const data = Uint8Array.from([
      0xb1,
      0x60,
      0,
      1,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      3,
      0xaa,
      0xbb,
      0xcc,
      0xdd, // CSRC
      0xbe,
      0xde,
      0x00,
      0x01,
      0x10,
      0x20,
      0x30,
      0x40, // one-word extension
      0x01,
      0x02,
      0x03, // payload
      0x00,
      0x00,
      0x03, // padding of 3 bytes
    ]);
    const p = parseRtpPacket(data);
    expect([p.csrcCount, p.extensionProfile, [...p.payload]]).toEqual([1, 0xbede, [1, 2, 3]]);
  });

  it('accepts an empty payload (NAT punch, keepalive)', () => {
    expect(parseRtpPacket(Uint8Array.from(header)).payloadLength).toBe(0);
  });

  it('reuses the packet it is given and does not copy the payload', () => {
    const into = new RtpPacket();
    const data = Uint8Array.from([...header, 1, 2, 3]);
    expect(parseRtpPacket(data, into)).toBe(into);
    expect(into.payload.buffer).toBe(data.buffer);
  });

  const bad: Array<[name: string, bytes: number[], code: string]> = [
    ['11 bytes', header.slice(0, 11), RtpErrorCode.PACKET_TOO_SHORT],
    ['version 1', [0x40, ...header.slice(1)], RtpErrorCode.UNSUPPORTED_VERSION],
    ['CSRC list past the end', [0x8f, ...header.slice(1)], RtpErrorCode.PACKET_TOO_SHORT],
    ['extension header truncated', [0x90, ...header.slice(1), 0xbe, 0xde], RtpErrorCode.INVALID_EXTENSION],
    [
      'extension length past the end',
      [0x90, ...header.slice(1), 0xbe, 0xde, 0x00, 0x02, 1, 2, 3, 4],
      RtpErrorCode.INVALID_EXTENSION,
    ],
    ['padding larger than the payload', [0xa0, ...header.slice(1), 1, 9], RtpErrorCode.INVALID_PADDING],
    ['padding count of zero', [0xa0, ...header.slice(1), 1, 0], RtpErrorCode.INVALID_PADDING],
    ['padding flag without payload', [0xa0, ...header.slice(1)], RtpErrorCode.INVALID_PADDING],
  ];
  it.each(bad)('rejects %s', (_name, bytes, code) => {
    expect(() => parseRtpPacket(Uint8Array.from(bytes))).toThrow(expect.objectContaining({ code }));
  });

  it('fuzz: any input parses within bounds or throws a coded RtpError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          const p = parseRtpPacket(bytes);
          expect(p.payloadStart).toBeGreaterThanOrEqual(12);
          expect(p.payloadEnd).toBeGreaterThanOrEqual(p.payloadStart);
          expect(p.payloadEnd).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          expect(isCodedError(err)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
