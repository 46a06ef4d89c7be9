import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { packetizeRaw } from './raw.js';
import { MAX_RTP_PAYLOAD_SIZE } from './rtp-payload.js';

describe('packetizeRaw (G.711 RFC 3551 §4.5.14, Opus RFC 7587 §4.2)', () => {
  it('sends a 20 ms PCMA frame (160 bytes) as one unmarked payload, without copying it', () => {
    const frame = new Uint8Array(160).fill(0xd5); // A-law silence
    const packets = packetizeRaw(frame);
    expect(packets).toEqual([{ payload: frame, marker: false }]);
    expect(packets[0]!.payload).toBe(frame);
  });

  it('marks the first packet of a talkspurt when asked (RFC 3551 §4.1)', () => {
    expect(packetizeRaw(Uint8Array.of(0xfc), { marker: true })).toEqual([
      { payload: Uint8Array.of(0xfc), marker: true },
    ]);
  });

  it.each([
    ['an empty frame', 0],
    ['a frame larger than one RTP payload', MAX_RTP_PAYLOAD_SIZE + 1],
  ])('rejects %s with RTP_INVALID_ARGUMENT', (_name, size) => {
    expect(() => packetizeRaw(new Uint8Array(size))).toThrow(
      expect.objectContaining({ code: RtpErrorCode.INVALID_ARGUMENT }),
    );
  });
});
