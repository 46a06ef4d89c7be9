import { noiseBytes } from '@camgate/testkit';
import { bench, describe } from 'vitest';
import { fragmentSize, type FragmentTrack, type Sample, writeFragment } from './fragment.js';

/**
 * One LL-HLS part of a 4 Mbit/s H.264 camera with AAC, as the segmenter hands it over: 200 ms of
 * video (5 frames, 100 KB: a 40 KB frame and four of 15 KB) and of audio (10 AAC frames of ~340
 * bytes, 48 kHz stereo at 128 kbit/s). Like the RTSP client's frames, the samples are views on
 * one slab. Payload bytes are deterministic noise.
 */
function realisticPart(): FragmentTrack[] {
  const videoSizes = [40_000, 15_000, 15_000, 15_000, 15_000];
  const audioSizes = [338, 342, 341, 339, 340, 343, 337, 340, 341, 339];
  const slab = noiseBytes(1024 * 1024);
  let at = 0;
  const take = (size: number) => slab.subarray(at, (at += size));
  const video: Sample[] = videoSizes.map((size, i) => ({
    duration: 3600,
    compositionOffset: i === 0 ? 0 : 3600,
    sync: i === 0,
    data: take(size),
  }));
  const audio: Sample[] = audioSizes.map((size) => ({
    duration: 1024,
    compositionOffset: 0,
    sync: true,
    data: take(size),
  }));
  return [
    { id: 1, baseMediaDecodeTime: 2 ** 33 + 123, samples: video },
    { id: 2, baseMediaDecodeTime: 2 ** 32 + 7, samples: audio },
  ];
}

/** 2 s per case: a 100 KB buffer per call makes garbage collection the main noise; longer runs average it out. */
const options = { time: 2000 };

const part = realisticPart();
const payloads = part.flatMap((track) => track.samples.map((sample) => sample.data));
const payloadBytes = payloads.reduce((sum, data) => sum + data.length, 0);

describe(`writeFragment: one 200 ms part, 5 H.264 + 10 AAC samples (${payloadBytes} payload bytes, ${fragmentSize(part)} written)`, () => {
  bench(
    'baseline: Buffer.concat of the sample bytes',
    () => {
      Buffer.concat(payloads, payloadBytes);
    },
    options,
  );
  bench(
    'baseline: .set of the sample bytes into one unzeroed buffer (the allocation writeFragment makes)',
    () => {
      const buffer = Buffer.allocUnsafeSlow(payloadBytes);
      let at = 0;
      for (const data of payloads) {
        buffer.set(data, at);
        at += data.length;
      }
    },
    options,
  );
  bench(
    'writeFragment',
    () => {
      writeFragment(1, part);
    },
    options,
  );
});
