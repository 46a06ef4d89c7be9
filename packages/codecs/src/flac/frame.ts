import { BitWriter } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { flacCrc16, flacCrc8 } from './crc.js';
import { FLAC_BITS_PER_SAMPLE, MAX_FLAC_BLOCK_SIZE, MAX_FLAC_CHANNELS, MAX_FLAC_SAMPLE_RATE } from './limits.js';
import { planSubframe, type SubframePlan, writeSubframe } from './subframe.js';

/**
 * Where a frame sits in its stream (RFC 9639 §9.1.5): a fixed-blocksize stream numbers its
 * frames, a variable-blocksize stream (camera packets of varying length) gives each frame
 * the index of its first sample. A stream must use one or the other throughout.
 */
export type FlacFramePosition = { frameNumber: number } | { sampleNumber: number };

export interface FlacFrameOptions {
  /** 1 or 2; `pcm` interleaves the channels (L, R, L, R ...). */
  channels: number;
  sampleRate: number;
  position: FlacFramePosition;
}

/** 2^31 - 1: the largest frame number the coded number holds (RFC 9639 §9.1.5). */
const MAX_FRAME_NUMBER = 2 ** 31 - 1;
/** 2^36 - 1: the largest sample number the coded number holds (RFC 9639 §9.1.5). */
const MAX_SAMPLE_NUMBER = 2 ** 36 - 1;
/** 16 bytes: the longest frame header (sync 2, codes 2, coded number 7, block size 2, rate 2, CRC 1). */
const MAX_FRAME_HEADER_BYTES = 16;

/** Block sizes with a 4-bit code of their own (RFC 9639 §9.1.1, Table 14). */
const BLOCK_SIZE_CODES = new Map<number, number>([
  [192, 0b0001],
  [576, 0b0010],
  [1152, 0b0011],
  [2304, 0b0100],
  [4608, 0b0101],
  [256, 0b1000],
  [512, 0b1001],
  [1024, 0b1010],
  [2048, 0b1011],
  [4096, 0b1100],
]);
/** "8-bit (block size - 1) at the end of the header" and its 16-bit form (§9.1.1). */
const BLOCK_SIZE_8BIT = 0b0110;
const BLOCK_SIZE_16BIT = 0b0111;

/** Sample rates with a 4-bit code of their own (RFC 9639 §9.1.2, Table 15). */
const SAMPLE_RATE_CODES = new Map<number, number>([
  [88200, 0b0001],
  [176400, 0b0010],
  [192000, 0b0011],
  [8000, 0b0100],
  [16000, 0b0101],
  [22050, 0b0110],
  [24000, 0b0111],
  [32000, 0b1000],
  [44100, 0b1001],
  [48000, 0b1010],
  [96000, 0b1011],
]);
/** Rate at the end of the header: 8-bit kHz, 16-bit Hz, 16-bit tens of Hz (§9.1.2). */
const SAMPLE_RATE_KHZ = 0b1100;
const SAMPLE_RATE_HZ = 0b1101;
const SAMPLE_RATE_10HZ = 0b1110;

/** Channel assignments (RFC 9639 §9.1.3): independent channels, and the three stereo decorrelations. */
const ChannelAssignment = { MONO: 0b0000, STEREO: 0b0001, LEFT_SIDE: 0b1000, SIDE_RIGHT: 0b1001, MID_SIDE: 0b1010 };
/** Bit depth code 0b100: 16 bits per sample (§9.1.4). */
const BIT_DEPTH_16 = 0b100;

function invalid(message: string): CodecsError {
  return new CodecsError(CodecsErrorCode.INVALID_ARGUMENT, message);
}

/** The UTF-8-like coded number of RFC 9639 §9.1.5: up to 36 bits in 1-7 bytes. */
function writeCodedNumber(w: BitWriter, value: number): void {
  if (value < 0x80) {
    w.writeBits(value, 8);
    return;
  }
  // 2 bytes carry 11 bits, each further byte 5 more (one bit fewer in the lead byte, six in the next).
  let bytes = 2;
  while (bytes < 7 && value >= 2 ** (5 * bytes + 1)) bytes++;
  const continuationBits = 6 * (bytes - 1);
  const lead = Math.floor(value / 2 ** continuationBits);
  const prefix = bytes === 7 ? 0xfe : (0xff << (8 - bytes)) & 0xff;
  w.writeBits(prefix | lead, 8);
  for (let i = bytes - 2; i >= 0; i--) w.writeBits(0x80 | (Math.floor(value / 2 ** (6 * i)) & 0x3f), 8);
}

function sampleRateCode(rate: number): { code: number; extra?: [value: number, bits: number] } {
  const code = SAMPLE_RATE_CODES.get(rate);
  if (code !== undefined) return { code };
  if (rate % 1000 === 0 && rate / 1000 <= 0xff) return { code: SAMPLE_RATE_KHZ, extra: [rate / 1000, 8] };
  if (rate <= 0xffff) return { code: SAMPLE_RATE_HZ, extra: [rate, 16] };
  if (rate % 10 === 0 && rate / 10 <= 0xffff) return { code: SAMPLE_RATE_10HZ, extra: [rate / 10, 16] };
  throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `a FLAC frame header cannot carry ${rate} Hz`);
}

function writeHeader(w: BitWriter, blockSize: number, options: FlacFrameOptions, assignment: number): void {
  const variable = 'sampleNumber' in options.position;
  const number = 'sampleNumber' in options.position ? options.position.sampleNumber : options.position.frameNumber;
  w.writeBits(0b111111111111100, 15); // §9.1: frame sync code
  w.writeBit(variable ? 1 : 0); // blocking strategy
  const fixedCode = BLOCK_SIZE_CODES.get(blockSize);
  const blockCode = fixedCode ?? (blockSize <= 256 ? BLOCK_SIZE_8BIT : BLOCK_SIZE_16BIT);
  const rate = sampleRateCode(options.sampleRate);
  w.writeBits(blockCode, 4);
  w.writeBits(rate.code, 4);
  w.writeBits(assignment, 4);
  w.writeBits(BIT_DEPTH_16, 3);
  w.writeBit(0); // reserved
  writeCodedNumber(w, number);
  if (blockCode === BLOCK_SIZE_8BIT) w.writeBits(blockSize - 1, 8);
  if (blockCode === BLOCK_SIZE_16BIT) w.writeBits(blockSize - 1, 16);
  if (rate.extra !== undefined) w.writeBits(...rate.extra);
}

function validate(pcm: Int16Array, options: FlacFrameOptions): number {
  const { channels, sampleRate, position } = options;
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_FLAC_CHANNELS) {
    throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `FLAC frames of ${channels} channels are not supported (1..2)`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > MAX_FLAC_SAMPLE_RATE) {
    throw invalid(`FLAC sample rate ${sampleRate} is outside 1..${MAX_FLAC_SAMPLE_RATE}`);
  }
  if (pcm.length % channels !== 0) throw invalid(`${pcm.length} samples do not divide into ${channels} channels`);
  const blockSize = pcm.length / channels;
  if (blockSize < 1 || blockSize > MAX_FLAC_BLOCK_SIZE) {
    throw invalid(`FLAC block size ${blockSize} is outside 1..${MAX_FLAC_BLOCK_SIZE}`);
  }
  const [number, max] =
    'sampleNumber' in position ? [position.sampleNumber, MAX_SAMPLE_NUMBER] : [position.frameNumber, MAX_FRAME_NUMBER];
  if (!Number.isInteger(number) || number < 0 || number > max) {
    throw invalid(`FLAC frame position ${number} is outside 0..${max}`);
  }
  return blockSize;
}

interface ChannelPlan {
  samples: Int32Array;
  bps: number;
  plan: SubframePlan;
}

/** Channel assignment and per-channel plans; the largest frame camgate writes bounds every buffer. */
interface ChannelChoice {
  assignment: number;
  channels: ChannelPlan[];
}

/**
 * Encodes FLAC frames (RFC 9639 §9) of 16-bit PCM with a workspace kept between frames: a live
 * stream encodes one frame per camera packet, and only the returned frame is allocated (plus
 * the bit writer it is written with).
 */
export class FlacFrameEncoder {
  readonly #left = new Int32Array(MAX_FLAC_BLOCK_SIZE);
  readonly #right = new Int32Array(MAX_FLAC_BLOCK_SIZE);
  readonly #side = new Int32Array(MAX_FLAC_BLOCK_SIZE);
  readonly #mid = new Int32Array(MAX_FLAC_BLOCK_SIZE);
  readonly #scratch = new Float64Array(MAX_FLAC_BLOCK_SIZE);

  /**
   * One frame of `pcm` (interleaved when stereo): header with CRC-8, one subframe per channel
   * (constant, verbatim or fixed predictor, whichever is smallest; stereo decorrelated when
   * that is smaller), zero padding and CRC-16.
   */
  encode(pcm: Int16Array, options: FlacFrameOptions): Uint8Array {
    const blockSize = validate(pcm, options);
    const choice = this.#chooseChannels(pcm, options.channels, blockSize);
    // The exact size: header (at most 16 bytes), the planned subframes, padding and CRC-16.
    const subframeBits = choice.channels.reduce((sum, ch) => sum + ch.plan.bits, 0);
    const w = new BitWriter({ initialBytes: MAX_FRAME_HEADER_BYTES + Math.ceil(subframeBits / 8) + 2 });
    writeHeader(w, blockSize, options, choice.assignment);
    w.writeBits(flacCrc8(w.toUint8Array()), 8);
    for (const channel of choice.channels) writeSubframe(w, channel.samples, channel.bps, channel.plan);
    w.alignWithZeros();
    w.writeBits(0, 16); // CRC-16 placeholder, filled in below
    const frame = w.toUint8Array();
    const crc = flacCrc16(frame.subarray(0, frame.length - 2));
    frame[frame.length - 2] = crc >>> 8;
    frame[frame.length - 1] = crc & 0xff;
    return frame;
  }

  /** Independent channels or the cheapest stereo decorrelation (RFC 9639 §4.2): side needs one more bit. */
  #chooseChannels(pcm: Int16Array, channels: number, blockSize: number): ChannelChoice {
    const bps = FLAC_BITS_PER_SAMPLE;
    const scratch = this.#scratch;
    const left = this.#left.subarray(0, blockSize);
    if (channels === 1) {
      for (let i = 0; i < blockSize; i++) left[i] = pcm[i] as number;
      return {
        assignment: ChannelAssignment.MONO,
        channels: [{ samples: left, bps, plan: planSubframe(left, bps, scratch) }],
      };
    }
    const right = this.#right.subarray(0, blockSize);
    const side = this.#side.subarray(0, blockSize);
    const mid = this.#mid.subarray(0, blockSize);
    for (let i = 0; i < blockSize; i++) {
      const l = pcm[2 * i] as number;
      const r = pcm[2 * i + 1] as number;
      left[i] = l;
      right[i] = r;
      side[i] = l - r;
      mid[i] = (l + r) >> 1; // §4.2: the decoder restores the dropped bit from the side channel's parity
    }
    const L = { samples: left, bps, plan: planSubframe(left, bps, scratch) };
    const R = { samples: right, bps, plan: planSubframe(right, bps, scratch) };
    const S = { samples: side, bps: bps + 1, plan: planSubframe(side, bps + 1, scratch) };
    const M = { samples: mid, bps, plan: planSubframe(mid, bps, scratch) };
    const options: ChannelChoice[] = [
      { assignment: ChannelAssignment.STEREO, channels: [L, R] },
      { assignment: ChannelAssignment.LEFT_SIDE, channels: [L, S] },
      { assignment: ChannelAssignment.SIDE_RIGHT, channels: [S, R] },
      { assignment: ChannelAssignment.MID_SIDE, channels: [M, S] },
    ];
    const cost = (c: ChannelChoice): number => c.channels.reduce((sum, ch) => sum + ch.plan.bits, 0);
    return options.reduce((best, c) => (cost(c) < cost(best) ? c : best));
  }
}

/**
 * Encodes one FLAC frame (RFC 9639 §9) of 16-bit PCM, `pcm` interleaved. For a stream of
 * frames, keep a {@link FlacFrameEncoder}: it reuses its workspace.
 */
export function encodeFlacFrame(pcm: Int16Array, options: FlacFrameOptions): Uint8Array {
  return new FlacFrameEncoder().encode(pcm, options);
}

/** Block size code 0b0001: 192 samples; 0b0010..0b0101 are 144 · 2^code, 0b1000..0b1111 2^code (RFC 9639 §9.1.1, Table 14). */
const BLOCK_SIZE_192 = 0b0001;

/**
 * The block size (samples per channel) a FLAC frame header declares, or undefined when `frame`
 * does not start with a frame header (RFC 9639 §9.1.1). The header's CRC is not checked: this
 * reads frames camgate wrote, to know their duration.
 */
export function flacFrameBlockSize(frame: Uint8Array): number | undefined {
  if (frame.length < 5 || frame[0] !== 0xff || ((frame[1] as number) & 0xfe) !== 0xf8) return undefined;
  const code = (frame[2] as number) >> 4;
  if (code === BLOCK_SIZE_192) return 192;
  if (code >= 0b0010 && code <= 0b0101) return 144 << code;
  if (code >= 0b1000) return 1 << code;
  if (code !== BLOCK_SIZE_8BIT && code !== BLOCK_SIZE_16BIT) return undefined; // 0b0000 is reserved
  // The coded number (§9.1.5) is 1 byte (0xxxxxxx) or as many bytes as its lead byte has leading ones.
  const lead = frame[4] as number;
  let length = 1;
  if (lead >= 0x80) {
    length = 0;
    while (length < 8 && (lead & (0x80 >> length)) !== 0) length++;
    if (length < 2 || length > 7) return undefined;
  }
  const at = 4 + length;
  if (code === BLOCK_SIZE_8BIT) return at < frame.length ? (frame[at] as number) + 1 : undefined;
  return at + 1 < frame.length ? (((frame[at] as number) << 8) | (frame[at + 1] as number)) + 1 : undefined;
}
