import { describe, expect, it } from 'vitest';
import { parseFmtpParameters } from '../fmtp.js';
import type { TrackFormat } from '../track-format.js';
import { resolveH264 } from './h264.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const GST_SPS = '6742c014da0507ec05a8303035280000030008000003019478a155';

describe('resolveH264 (RFC 6184)', () => {
  const cases: Array<[name: string, clockRate: number, fmtp: string, want: TrackFormat]> = [
    [
      'GStreamer rtph264pay',
      90000,
      'packetization-mode=1;sprop-parameter-sets=Z0LAFNoFB+wFqDAwNSgAAAMACAAAAwGUeKFV,aM48gA==;profile-level-id=42c014;level-asymmetry-allowed=1',
      {
        codec: 'h264',
        payloadType: 96,
        clockRate: 90000,
        packetizationMode: 1,
        profileLevelId: '42c014',
        sps: bytes(GST_SPS),
        pps: bytes('68ce3c80'),
      },
    ],
    [
      'no fmtp parameters: packetization-mode 0 (§8.1 default), parameter sets learned in-band',
      90000,
      '',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 0 },
    ],
    [
      'missing clock rate in the rtpmap: 90 kHz (§8.2.1)',
      0,
      'packetization-mode=1',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 1 },
    ],
    [
      'HIK Media Server: packetization-mode=0 and no sprop (mediacommon#144)',
      90000,
      'profile-level-id=4D0014;packetization-mode=0',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 0, profileLevelId: '4D0014' },
    ],
    [
      'a packetization-mode that is not a number is the default',
      90000,
      'packetization-mode=one',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 0 },
    ],
    [
      'odd profile-level-id kept as sent (mediamtx#2558)',
      90000,
      'packetization-mode=1; profile-level-id=33',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 1, profileLevelId: '33' },
    ],
    [
      'VStarcam garbage sprop is dropped, not an error (retina#42)',
      90000,
      'packetization-mode=1;profile-level-id=00f004;sprop-parameter-sets=6QDwBE/LCAAAH0gAB1TgIAAAAAA=,AAAAAA==',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 1, profileLevelId: '00f004' },
    ],
    [
      'sprop with Annex B start codes (00 00 00 01 prefix) is stripped',
      90000,
      `sprop-parameter-sets=${Buffer.from(`00000001${GST_SPS}`, 'hex').toString('base64')},AAABaM48gA==`,
      {
        codec: 'h264',
        payloadType: 96,
        clockRate: 90000,
        packetizationMode: 0,
        sps: bytes(GST_SPS),
        pps: bytes('68ce3c80'),
      },
    ],
    [
      'URL-safe base64 without padding',
      90000,
      `sprop-parameter-sets=${Buffer.from(GST_SPS, 'hex').toString('base64url')},aM48gA`,
      {
        codec: 'h264',
        payloadType: 96,
        clockRate: 90000,
        packetizationMode: 0,
        sps: bytes(GST_SPS),
        pps: bytes('68ce3c80'),
      },
    ],
    [
      'PPS before SPS, an SEI between, and a second SPS: each set by type, the first wins',
      90000,
      `sprop-parameter-sets=aM48gA==,BgUB,${Buffer.from(GST_SPS, 'hex').toString('base64')},Z01AKQ==`,
      {
        codec: 'h264',
        payloadType: 96,
        clockRate: 90000,
        packetizationMode: 0,
        sps: bytes(GST_SPS),
        pps: bytes('68ce3c80'),
      },
    ],
    [
      'only a PPS',
      90000,
      'sprop-parameter-sets=,aM48gA==',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 0, pps: bytes('68ce3c80') },
    ],
    [
      'an SPS too short to hold profile and level is dropped',
      90000,
      'sprop-parameter-sets=Z0I=,aM48gA==',
      { codec: 'h264', payloadType: 96, clockRate: 90000, packetizationMode: 0, pps: bytes('68ce3c80') },
    ],
    [
      'the clock rate the camera declares is kept',
      1000,
      '',
      { codec: 'h264', payloadType: 96, clockRate: 1000, packetizationMode: 0 },
    ],
    [
      'packetization-mode=2 (interleaved) is unsupported',
      90000,
      'packetization-mode=2',
      {
        codec: 'unsupported',
        payloadType: 96,
        encoding: 'H264',
        reason: 'H.264 interleaved mode (packetization-mode=2) is not supported',
      },
    ],
  ];
  for (const [name, clockRate, fmtp, want] of cases) {
    it(name, () => {
      expect(resolveH264(96, clockRate, parseFmtpParameters(fmtp))).toEqual(want);
    });
  }
});
