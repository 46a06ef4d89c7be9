import { isCodedError } from '@camgate/bits';
import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { ntpToUnixMs, unixMsToNtp } from './ntp.js';
import { parseRtcpCompound } from './rtcp-packet.js';

// SR from SSRC 0x12345678: NTP 0xeb5a1f3c.80000000 (2025-02-14T19:59:56.5Z), RTP ts 90000, 100 packets, 120000 octets.
// prettier-ignore
const sr = [
  0x80, 0xc8, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78,
  0xeb, 0x5a, 0x1f, 0x3c, 0x80, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x5f, 0x90, 0x00, 0x00, 0x00, 0x64,
  0x00, 0x01, 0xd4, 0xc0,
];
// prettier-ignore
const sdes = [0x81, 0xca, 0x00, 0x03, 0x12, 0x34, 0x56, 0x78, 0x01, 0x03, 0x63, 0x61, 0x6d, 0x00, 0x00, 0x00];
const bye = [0x81, 0xcb, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78];

describe('parseRtcpCompound (RFC 3550 §6.4.1)', () => {
  it('reads a sender report from a compound SR + SDES packet', () => {
    const { senderReports, byes } = parseRtcpCompound(Uint8Array.from([...sr, ...sdes]));
    expect(byes).toEqual([]);
    expect(senderReports).toEqual([
      {
        ssrc: 0x12345678,
        ntpMs: ntpToUnixMs(0xeb5a1f3c, 0x80000000),
        ntpMiddle: 0x1f3c8000,
        rtpTimestamp: 90_000,
        packetCount: 100,
        octetCount: 120_000,
      },
    ]);
    expect(new Date(senderReports[0]!.ntpMs).toISOString()).toBe('2025-02-14T19:59:56.500Z');
  });

  it('reads BYE', () => {
    expect(parseRtcpCompound(Uint8Array.from([...sr, ...bye])).byes).toEqual([0x12345678]);
  });

  it('tolerates a last packet whose length field overshoots (Hanwha)', () => {
    const overshoot = [...sr];
    overshoot[3] = 0x0a;
    expect(parseRtcpCompound(Uint8Array.from(overshoot)).senderReports).toHaveLength(1);
  });

  it.each([
    ['3 bytes', [0x80, 0xc8, 0x00]],
    ['version 1', [0x40, 0xc8, 0x00, 0x06, ...sr.slice(4)]],
    ['a truncated sender report', sr.slice(0, 20)],
  ])('rejects %s with RTP_INVALID_RTCP', (_name, bytes) => {
    expect(() => parseRtcpCompound(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: RtpErrorCode.INVALID_RTCP }),
    );
  });

  it('fuzz: junk and 2000-byte RTCP parse or throw a coded error (B08)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 64 })), (bytes) => {
        try {
          parseRtcpCompound(bytes);
        } catch (err) {
          expect(isCodedError(err, RtpErrorCode.INVALID_RTCP)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('NTP conversion', () => {
  it('round-trips milliseconds', () => {
    const ms = Date.UTC(2026, 10, 23, 12, 0, 0, 250);
    const [seconds, fraction] = unixMsToNtp(ms);
    expect(ntpToUnixMs(seconds, fraction)).toBeCloseTo(ms, 3);
  });
});

describe('buildSenderReport', () => {
  it('round-trips through parseRtcpCompound', async () => {
    const { buildSenderReport } = await import('./sender-report.js');
    const wallclockMs = Date.UTC(2026, 10, 23, 10, 0, 0, 500);
    const packet = buildSenderReport({
      ssrc: 42,
      wallclockMs,
      rtpTimestamp: 123_456,
      packetCount: 10,
      octetCount: 5000,
      cname: 'camsim',
    });
    const [report] = parseRtcpCompound(packet).senderReports;
    expect(report).toMatchObject({ ssrc: 42, rtpTimestamp: 123_456, packetCount: 10, octetCount: 5000 });
    expect(report!.ntpMs).toBeCloseTo(wallclockMs, 3);
  });
});
