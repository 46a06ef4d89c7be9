import type { BoxWriter } from '../box-writer.js';

/** OpusSpecificBox with ChannelMappingFamily 0: box header and 11 bytes (Opus in ISOBMFF §4.3.2). */
export const DOPS_SIZE = 19;

export interface OpusSpecificConfig {
  /** 1 or 2: channel mapping family 0 (RTP Opus, RFC 7587) has no mapping table. */
  outputChannelCount: number;
  /** Samples at 48 kHz to drop at the start of decoding. */
  preSkip: number;
  /** The encoder's input rate, informational. */
  inputSampleRate: number;
}

/**
 * OpusSpecificBox 'dOps' ("Encapsulation of Opus in ISO Base Media File Format" §4.3.2, the fields
 * of RFC 7845's ID header, big-endian): Version 0, OutputGain 0, ChannelMappingFamily 0.
 */
export function writeDops(w: BoxWriter, config: OpusSpecificConfig): void {
  const box = w.startBox('dOps');
  w.u8(0); // Version
  w.u8(config.outputChannelCount);
  w.u16(config.preSkip);
  w.u32(config.inputSampleRate);
  w.i16(0); // OutputGain, Q7.8 dB
  w.u8(0); // ChannelMappingFamily: mono or stereo, no mapping table
  w.endBox(box);
}
