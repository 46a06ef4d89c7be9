import { describe, expect, it } from 'vitest';
import { parseFmtpParameters } from '../fmtp.js';
import type { TrackFormat } from '../track-format.js';
import { resolveMp4aLatm } from './mp4a-latm.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const unsupported = (reason: string): TrackFormat => ({
  codec: 'unsupported',
  payloadType: 96,
  encoding: 'MP4A-LATM',
  reason,
});

describe('resolveMp4aLatm (RFC 6416 §7.1)', () => {
  const cases: Array<[name: string, clockRate: number, channels: number | undefined, fmtp: string, want: TrackFormat]> =
    [
      [
        'GStreamer rtpmp4apay: cpresent=0 with config',
        48000,
        2,
        'cpresent=0;config=40002320',
        {
          codec: 'aac-latm',
          payloadType: 96,
          clockRate: 48000,
          cpresent: false,
          config: bytes('40002320'),
          channels: 2,
        },
      ],
      [
        'object and profile-level-id',
        44100,
        undefined,
        'profile-level-id=15;object=2;cpresent=0;config=400024203fc0',
        {
          codec: 'aac-latm',
          payloadType: 96,
          clockRate: 44100,
          cpresent: false,
          config: bytes('400024203fc0'),
          object: 2,
        },
      ],
      [
        'no fmtp: cpresent defaults to 1 (config in-band)',
        16000,
        1,
        '',
        { codec: 'aac-latm', payloadType: 96, clockRate: 16000, cpresent: true, channels: 1 },
      ],
      [
        'cpresent=1 and an empty config',
        16000,
        undefined,
        'cpresent=1;config=',
        { codec: 'aac-latm', payloadType: 96, clockRate: 16000, cpresent: true },
      ],
      [
        'an object type out of range is ignored',
        16000,
        undefined,
        'object=500',
        { codec: 'aac-latm', payloadType: 96, clockRate: 16000, cpresent: true },
      ],
      [
        'cpresent=0 without config (mediamtx#3590)',
        16000,
        1,
        'profile-level-id=1709392648;cpresent=0;config=',
        unsupported('LATM config is missing with cpresent=0'),
      ],
      [
        'config not hex',
        16000,
        undefined,
        'cpresent=0;config=40002',
        unsupported('LATM config "40002" is not valid hex'),
      ],
      [
        'clock rate missing',
        0,
        undefined,
        'cpresent=0;config=40002320',
        unsupported('MP4A-LATM clock rate is missing'),
      ],
    ];
  for (const [name, clockRate, channels, fmtp, want] of cases) {
    it(name, () => {
      expect(resolveMp4aLatm(96, clockRate, channels, parseFmtpParameters(fmtp))).toEqual(want);
    });
  }
});
