import type { TimedSample } from '@camgate/testkit';
import type { FragmentTrack } from './fragment.js';

export { aacTestStream, codecsTestdata, type EncodedTrack, type TimedSample, videoTestStream } from '@camgate/testkit';

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Cuts samples into consecutive fragments of `perFragment` samples, each FragmentTrack starting
 * at `base` + the DTS of its first sample.
 */
export function cutIntoFragments(
  id: number,
  samples: readonly TimedSample[],
  perFragment: number,
  base = 0,
): FragmentTrack[] {
  const fragments: FragmentTrack[] = [];
  for (let i = 0; i < samples.length; i += perFragment) {
    const part = samples.slice(i, i + perFragment);
    fragments.push({ id, baseMediaDecodeTime: base + (part[0] as TimedSample).dts, samples: part });
  }
  return fragments;
}
