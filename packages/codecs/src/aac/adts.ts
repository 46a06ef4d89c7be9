import { CodecsError, CodecsErrorCode } from '../errors.js';
import { AAC_SAMPLE_RATES } from './audio-specific-config.js';

/** An ADTS frame header (ISO/IEC 14496-3 §1.A.2.2.1). */
export interface AdtsHeader {
  /** 7, or 9 with a CRC (protection_absent = 0). */
  headerLength: 7 | 9;
  /** aac_frame_length: the whole frame, header included. */
  frameLength: number;
  /** profile_ObjectType + 1: 1 Main, 2 LC, 3 SSR, 4 LTP. */
  objectType: number;
  samplingFrequencyIndex: number;
  sampleRate: number;
  channelConfiguration: number;
  /** Raw data blocks in the frame: number_of_raw_data_blocks_in_frame + 1 (1024 samples each). */
  numRawDataBlocks: number;
}

const INVALID = CodecsErrorCode.INVALID_ADTS;

/**
 * Parses the ADTS header at `offset`. Throws CODECS_INVALID_ADTS when there is no syncword, the
 * header is truncated, or a field is impossible (layer != 0, reserved sampling index, a frame
 * shorter than its header). Does not check that the whole frame is present.
 */
export function parseAdtsHeader(data: Uint8Array, offset = 0): AdtsHeader {
  if (!Number.isInteger(offset) || offset < 0 || data.length - offset < 7) {
    throw new CodecsError(INVALID, `ADTS header needs 7 bytes at offset ${offset}, ${data.length - offset} left`);
  }
  const b = (i: number): number => data[offset + i] as number;
  if (b(0) !== 0xff || (b(1) & 0xf0) !== 0xf0) throw new CodecsError(INVALID, 'no ADTS syncword');
  if ((b(1) & 0x06) !== 0) throw new CodecsError(INVALID, `ADTS layer ${(b(1) >> 1) & 3} is not 0`);
  const protectionAbsent = (b(1) & 0x01) === 1;
  const headerLength = protectionAbsent ? 7 : 9;
  if (data.length - offset < headerLength) {
    throw new CodecsError(INVALID, `ADTS header with CRC needs 9 bytes, ${data.length - offset} left`);
  }
  const objectType = (b(2) >> 6) + 1;
  const samplingFrequencyIndex = (b(2) >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[samplingFrequencyIndex];
  if (sampleRate === undefined) {
    throw new CodecsError(INVALID, `ADTS sampling_frequency_index ${samplingFrequencyIndex} is reserved`);
  }
  const channelConfiguration = ((b(2) & 0x01) << 2) | (b(3) >> 6);
  const frameLength = ((b(3) & 0x03) << 11) | (b(4) << 3) | (b(5) >> 5);
  if (frameLength < headerLength) {
    throw new CodecsError(
      INVALID,
      `ADTS aac_frame_length ${frameLength} is shorter than its ${headerLength}-byte header`,
    );
  }
  return {
    headerLength,
    frameLength,
    objectType,
    samplingFrequencyIndex,
    sampleRate,
    channelConfiguration,
    numRawDataBlocks: (b(6) & 0x03) + 1,
  };
}

/** True when `data` starts with a valid ADTS header whose frame fits in `data`. */
export function isAdtsFrame(data: Uint8Array): boolean {
  if (data.length < 7 || data[0] !== 0xff || ((data[1] as number) & 0xf6) !== 0xf0) return false;
  try {
    return parseAdtsHeader(data).frameLength <= data.length;
  } catch {
    return false;
  }
}
