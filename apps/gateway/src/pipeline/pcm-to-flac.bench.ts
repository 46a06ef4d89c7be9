import { bench, describe } from 'vitest';
import { PcmToFlac } from './pcm-to-flac.js';

/**
 * What converting a G.711 camera to FLAC costs the gateway: one 20 ms packet (160 samples at
 * 8 kHz) per call, 50 calls a second per camera. Speech-like content (a tone with noise) and
 * silence, the two things cameras mostly send.
 */
function packets(noise: boolean): Uint8Array[] {
  let seed = 0x2545f491;
  return Array.from({ length: 50 }, (_, p) =>
    Uint8Array.from({ length: 160 }, (_, i) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const tone = Math.round(40 * Math.sin(((p * 160 + i) * 2 * Math.PI * 440) / 8000));
      return noise ? (0x80 + tone + (seed & 0x0f)) & 0xff : 0xd5; // 0xd5: A-law silence
    }),
  );
}

const speech = packets(true);
const silence = packets(false);

describe('PCMA to FLAC, one 20 ms packet', () => {
  const converter = new PcmToFlac({ encoding: 'pcma', sampleRate: 8000, channels: 1 }, () => undefined);
  let dts = 0;
  bench('tone with noise', () => {
    converter.push(dts, speech[(dts / 160) % 50]!);
    dts += 160;
  });
  bench('silence (a CONSTANT subframe)', () => {
    converter.push(dts, silence[(dts / 160) % 50]!);
    dts += 160;
  });
});
