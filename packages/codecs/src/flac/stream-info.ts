import { BitWriter } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';

/** STREAMINFO, RFC 9639 §8.2. Sizes of 0 and an all-zero MD5 mean "unknown", as a live stream has them. */
export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  /** Bytes; 0 = unknown. */
  minFrameSize?: number;
  /** Bytes; 0 = unknown. */
  maxFrameSize?: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel in the stream; 0 = unknown (live). */
  totalSamples?: number;
  /** MD5 of the decoded samples (16 bytes); absent = all zero, "not computed". */
  md5?: Uint8Array;
}

/** 34 bytes: the fixed size of a STREAMINFO block body (RFC 9639 §8.2). */
export const FLAC_STREAMINFO_BYTES = 34;

/** Metadata block types (RFC 9639 §8.1, Table 2). */
export const FlacMetadataType = { STREAMINFO: 0, PADDING: 1, VORBIS_COMMENT: 4 } as const;

function check(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecsError(CodecsErrorCode.INVALID_ARGUMENT, `FLAC ${name} ${value} is outside ${min}..${max}`);
  }
}

/**
 * The 34-byte STREAMINFO body (RFC 9639 §8.2): what a `dfLa` box carries (behind its
 * metadata block header) and what follows `fLaC` in a .flac file.
 */
export function flacStreamInfo(info: FlacStreamInfo): Uint8Array {
  // §8.2: block sizes 16..65535 (the minimum may be smaller only for a one-frame stream, not our case).
  check('minimum block size', info.minBlockSize, 16, 65535);
  check('maximum block size', info.maxBlockSize, info.minBlockSize, 65535);
  check('minimum frame size', info.minFrameSize ?? 0, 0, 2 ** 24 - 1);
  check('maximum frame size', info.maxFrameSize ?? 0, 0, 2 ** 24 - 1);
  check('sample rate', info.sampleRate, 1, 2 ** 20 - 1);
  check('channel count', info.channels, 1, 8);
  check('bits per sample', info.bitsPerSample, 4, 32);
  check('total samples', info.totalSamples ?? 0, 0, 2 ** 36 - 1);
  const md5 = info.md5 ?? new Uint8Array(16);
  if (md5.length !== 16) {
    throw new CodecsError(CodecsErrorCode.INVALID_ARGUMENT, `FLAC MD5 must be 16 bytes, got ${md5.length}`);
  }
  const w = new BitWriter({ initialBytes: FLAC_STREAMINFO_BYTES });
  w.writeBits(info.minBlockSize, 16);
  w.writeBits(info.maxBlockSize, 16);
  w.writeBits(info.minFrameSize ?? 0, 24);
  w.writeBits(info.maxFrameSize ?? 0, 24);
  w.writeBits(info.sampleRate, 20);
  w.writeBits(info.channels - 1, 3);
  w.writeBits(info.bitsPerSample - 1, 5);
  const total = info.totalSamples ?? 0;
  w.writeBits(Math.floor(total / 2 ** 32), 4);
  w.writeBits(total % 2 ** 32, 32);
  for (const byte of md5) w.writeBits(byte, 8);
  return w.toUint8Array();
}

/** A metadata block: its 4-byte header (last-block flag, type, length; RFC 9639 §8.1) and body. */
export function flacMetadataBlock(type: number, body: Uint8Array, isLast: boolean): Uint8Array {
  check('metadata block type', type, 0, 126);
  check('metadata block length', body.length, 0, 2 ** 24 - 1);
  const out = new Uint8Array(4 + body.length);
  out[0] = (isLast ? 0x80 : 0) | type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}
