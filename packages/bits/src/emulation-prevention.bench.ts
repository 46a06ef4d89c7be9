import { bench, describe } from 'vitest';
import { addEmulationPrevention, removeEmulationPrevention } from './emulation-prevention.js';

/** A 64 KiB slice-sized NAL payload (deterministic), with an escape about every 4 KiB like real slices. */
function slicePayload(): Uint8Array {
  const rbsp = new Uint8Array(64 * 1024);
  let seed = 0x2545f491;
  for (let i = 0; i < rbsp.length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    rbsp[i] = (seed & 0xff) | 0x10; // no accidental zeros
  }
  for (let i = 4096; i < rbsp.length; i += 4096) rbsp.fill(0, i, i + 3);
  return addEmulationPrevention(rbsp);
}

const nal = slicePayload();

describe('emulation prevention removal, 64 KiB NAL unit', () => {
  bench('baseline: plain copy (Uint8Array.slice)', () => {
    nal.slice();
  });
  bench('removeEmulationPrevention', () => {
    removeEmulationPrevention(nal);
  });
});
