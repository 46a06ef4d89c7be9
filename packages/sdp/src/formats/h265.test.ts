import { describe, expect, it } from 'vitest';
import { parseFmtpParameters } from '../fmtp.js';
import type { TrackFormat } from '../track-format.js';
import { resolveH265 } from './h265.js';

const bytes = (base64: string) => Uint8Array.from(Buffer.from(base64, 'base64'));
const VPS = 'QAEMAf//AWAAAAMAkAAAAwAAAwA8ugJA';
const SPS = 'QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZbpKTC//AAEAAWoMDAwIAAAAMAgAAADIQ=';
const PPS = 'RAHAcYMS';
const DONL = 'H.265 DONL (sprop-max-don-diff) is not supported';

describe('resolveH265 (RFC 7798)', () => {
  const cases: Array<[name: string, fmtp: string, want: TrackFormat]> = [
    [
      'GStreamer rtph265pay: all three parameter sets',
      `sprop-vps=${VPS};sprop-sps=${SPS};sprop-pps=${PPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, vps: bytes(VPS), sps: bytes(SPS), pps: bytes(PPS) },
    ],
    [
      'Dahua order (sps, pps, vps) with profile-id',
      `profile-id=1;sprop-sps=${SPS};sprop-pps=${PPS};sprop-vps=${VPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, vps: bytes(VPS), sps: bytes(SPS), pps: bytes(PPS) },
    ],
    [
      'only sprop-sps: the others are learned in-band',
      `sprop-sps=${SPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, sps: bytes(SPS) },
    ],
    ['no fmtp parameters', '', { codec: 'h265', payloadType: 96, clockRate: 90000 }],
    [
      'parameter sets under the wrong names are dropped (a VPS in sprop-sps)',
      `sprop-vps=${SPS};sprop-sps=${VPS};sprop-pps=${PPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, pps: bytes(PPS) },
    ],
    [
      'broken base64 is dropped, not an error',
      `sprop-vps=%%%;sprop-sps=${SPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, sps: bytes(SPS) },
    ],
    [
      'a comma-separated list: the first set of the right type',
      `sprop-vps=AAAA,${VPS}`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, vps: bytes(VPS) },
    ],
    [
      'Anjvision: packetization-mode and config next to the sprops are ignored',
      `packetization-mode=0;profile-space=0;profile-id=1;tier-flag=0;level-id=153;sprop-vps=${VPS};config=0000000140`,
      { codec: 'h265', payloadType: 96, clockRate: 90000, vps: bytes(VPS) },
    ],
    [
      'sprop-max-don-diff=0 and sprop-depack-buf-nalus=0 are fine',
      'sprop-max-don-diff=0;sprop-depack-buf-nalus=0;tx-mode=SRST',
      { codec: 'h265', payloadType: 96, clockRate: 90000 },
    ],
    [
      'sprop-max-don-diff > 0: DONL in use',
      `sprop-vps=${VPS};sprop-sps=${SPS};sprop-pps=${PPS};sprop-max-don-diff=2`,
      { codec: 'unsupported', payloadType: 96, encoding: 'H265', reason: DONL },
    ],
    [
      'an unreadable sprop-max-don-diff might mean DONL',
      'sprop-max-don-diff=x',
      { codec: 'unsupported', payloadType: 96, encoding: 'H265', reason: DONL },
    ],
    [
      'sprop-depack-buf-nalus > 0: DONL in use',
      'sprop-depack-buf-nalus=32',
      {
        codec: 'unsupported',
        payloadType: 96,
        encoding: 'H265',
        reason: 'H.265 DONL (sprop-depack-buf-nalus) is not supported',
      },
    ],
    [
      'tx-mode=MRST (multi-stream, needs DONL)',
      'tx-mode=MRST',
      {
        codec: 'unsupported',
        payloadType: 96,
        encoding: 'H265',
        reason: 'H.265 multi-stream transmission (tx-mode=MRST) is not supported',
      },
    ],
  ];
  for (const [name, fmtp, want] of cases) {
    it(name, () => {
      expect(resolveH265(96, 90000, parseFmtpParameters(fmtp))).toEqual(want);
    });
  }

  it('a missing rtpmap clock rate is 90 kHz (§7.1)', () => {
    expect(resolveH265(96, 0, new Map())).toEqual({ codec: 'h265', payloadType: 96, clockRate: 90000 });
  });
});
