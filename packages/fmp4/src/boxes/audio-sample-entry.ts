import type { BoxWriter } from '../box-writer.js';

/**
 * Box header (8), SampleEntry (reserved 6, data_reference_index 2) and the AudioSampleEntry
 * fields (20): ISO/IEC 14496-12 §8.5.2.2, §12.2.3.2.
 */
export const AUDIO_SAMPLE_ENTRY_HEADER_SIZE = 36;

/** The largest rate the 16.16 samplerate field can hold. */
const MAX_SAMPLERATE_FIELD = 0xffff;

/**
 * Opens a version 0 AudioSampleEntry (§12.2.3) of type `fourcc` and writes its fixed fields; the
 * caller writes the child boxes (esds, dOps) and closes it with `w.endBox` on the returned offset.
 * A rate above 65535 Hz does not fit the 16.16 field and is written as 0, like ffmpeg does; the
 * decoder configuration (AudioSpecificConfig, dOps) carries the real rate.
 */
export function startAudioSampleEntry(w: BoxWriter, fourcc: string, channelCount: number, sampleRate: number): number {
  const box = w.startBox(fourcc);
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index
  w.zeros(8); // reserved
  w.u16(channelCount);
  w.u16(16); // samplesize
  w.u16(0); // pre_defined
  w.u16(0); // reserved
  w.u32(sampleRate <= MAX_SAMPLERATE_FIELD ? sampleRate * 0x10000 : 0); // samplerate, 16.16
  return box;
}
