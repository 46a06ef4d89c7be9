import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { parseRtpPacket } from '../rtp-packet.js';
import { buildRtpPacket, writeRtpHeader, type RtpHeaderFields } from './rtp-header.js';

const fields: RtpHeaderFields = {
  marker: true,
  payloadType: 96,
  sequenceNumber: 0xfffe,
  timestamp: 0xfabcdef0,
  ssrc: 0x12345678,
};

describe('writeRtpHeader (RFC 3550 §5.1)', () => {
  const cases: Array<[name: string, fields: RtpHeaderFields, bytes: number[]]> = [
    ['a marked H.264 packet', fields, [0x80, 0xe0, 0xff, 0xfe, 0xfa, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78]],
    [
      'PCMA, all fields zero',
      { marker: false, payloadType: 8, sequenceNumber: 0, timestamp: 0, ssrc: 0 },
      [0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ],
    [
      'every field at its maximum',
      { marker: true, payloadType: 127, sequenceNumber: 0xffff, timestamp: 0xffffffff, ssrc: 0xffffffff },
      [0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ],
  ];
  it.each(cases)('%s', (_name, f, bytes) => {
    const target = new Uint8Array(12);
    writeRtpHeader(target, 0, f);
    expect([...target]).toEqual(bytes);
  });

  it('writes at an offset (after an RTSP interleaved prefix) and touches nothing else', () => {
    const target = new Uint8Array(18).fill(0xaa);
    writeRtpHeader(target, 4, fields);
    expect([...target]).toEqual([
      0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0xe0, 0xff, 0xfe, 0xfa, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0xaa, 0xaa,
    ]);
  });

  const bad: Array<[name: string, target: number, offset: number, fields: RtpHeaderFields]> = [
    ['a target shorter than 12 bytes', 11, 0, fields],
    ['an offset that leaves no room', 16, 5, fields],
    ['a negative offset', 16, -1, fields],
    ['payload type 128', 12, 0, { ...fields, payloadType: 128 }],
    ['sequence number 65536', 12, 0, { ...fields, sequenceNumber: 0x10000 }],
    ['a negative sequence number', 12, 0, { ...fields, sequenceNumber: -1 }],
    ['timestamp 2^32 (unwrapped)', 12, 0, { ...fields, timestamp: 2 ** 32 }],
    ['a fractional timestamp', 12, 0, { ...fields, timestamp: 1.5 }],
    ['SSRC 2^32', 12, 0, { ...fields, ssrc: 2 ** 32 }],
  ];
  it.each(bad)('rejects %s with RTP_INVALID_ARGUMENT', (_name, size, offset, f) => {
    expect(() => writeRtpHeader(new Uint8Array(size), offset, f)).toThrow(
      expect.objectContaining({ code: RtpErrorCode.INVALID_ARGUMENT }),
    );
  });
});

describe('buildRtpPacket', () => {
  it('is the header followed by the payload', () => {
    expect([...buildRtpPacket(fields, Uint8Array.of(0x65, 0x88))]).toEqual([
      0x80, 0xe0, 0xff, 0xfe, 0xfa, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x65, 0x88,
    ]);
  });

  it(
    'fuzz: parseRtpPacket reads back every field and the payload',
    () => {
      const arbitraryFields = fc.record({
        marker: fc.boolean(),
        payloadType: fc.integer({ min: 0, max: 127 }),
        sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
        timestamp: fc.nat({ max: 0xffffffff }),
        ssrc: fc.nat({ max: 0xffffffff }),
      });
      fc.assert(
        fc.property(arbitraryFields, fc.uint8Array({ maxLength: 64 }), (f, payload) => {
          const p = parseRtpPacket(buildRtpPacket(f, payload));
          expect({
            marker: p.marker,
            payloadType: p.payloadType,
            sequenceNumber: p.sequenceNumber,
            timestamp: p.timestamp,
            ssrc: p.ssrc,
          }).toEqual(f);
          expect([p.csrcCount, p.extensionProfile, [...p.payload]]).toEqual([0, -1, [...payload]]);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
