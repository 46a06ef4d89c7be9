import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { TKHD_SIZE, type TrackHeader, writeTkhd } from './tkhd.js';

const UNITY_MATRIX = '00010000 00000000 00000000 00000000 00010000 00000000 00000000 00000000 40000000';

describe('tkhd (ISO/IEC 14496-12 §8.3.2)', () => {
  it.each<[string, TrackHeader, string, string]>([
    ['a 1920x1080 video track', { trackId: 1, width: 1920, height: 1080, audio: false }, '0000', '07800000 04380000'],
    ['an audio track', { trackId: 2, width: 0, height: 0, audio: true }, '0100', '00000000 00000000'],
  ])('writes %s byte-exactly', (_name, track, volume, size) => {
    expect(boxHex(TKHD_SIZE, (w) => writeTkhd(w, track))).toBe(
      golden(
        `0000005c ${cc('tkhd')} 00000007`, // size 92, version 0, enabled | in_movie | in_preview
        `00000000 00000000 0000000${track.trackId} 00000000 00000000`, // times, track_ID, reserved, duration 0
        '00000000 00000000', // reserved
        `0000 0000 ${volume} 0000`, // layer, alternate_group, volume, reserved
        UNITY_MATRIX,
        size, // width, height as 16.16
      ),
    );
  });
});
