import { BitReader, BitWriter } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { withCode } from '../syntax.js';
import { type AudioSpecificConfig, readAudioSpecificConfig } from './audio-specific-config.js';

const INVALID = CodecsErrorCode.INVALID_LATM;
/** 512 bytes: a StreamMuxConfig with one AudioSpecificConfig is about 6 bytes. */
const MAX_STREAM_MUX_CONFIG_BYTES = 512;
/**
 * 64 KiB: a LATM payload holds AAC frames of at most 6144 bits per channel (§4.5.3.2), 6 KiB for
 * 8 channels; more is a corrupt length.
 */
const MAX_LATM_PAYLOAD_BYTES = 64 * 1024;

/**
 * Parses a StreamMuxConfig (ISO/IEC 14496-3 §1.7.3.1), as carried in the `config` parameter of
 * MP4A-LATM (RFC 3016 §5.3): audioMuxVersion 0 with one program and one layer, which is all that
 * RTP senders use. `bytes` of the result holds the embedded AudioSpecificConfig, byte-aligned.
 * `numSubFrames` is the coded value (numSubFrames + 1 payloads per AudioMuxElement).
 * Throws CODECS_INVALID_LATM when malformed, CODECS_INVALID_AUDIO_CONFIG when the embedded
 * AudioSpecificConfig is, CODECS_UNSUPPORTED for other multiplex layouts and object types.
 */
export function parseStreamMuxConfig(
  data: Uint8Array,
): AudioSpecificConfig & { numSubFrames: number; frameLengthType: number } {
  if (data.length > MAX_STREAM_MUX_CONFIG_BYTES) {
    throw new CodecsError(INVALID, `StreamMuxConfig of ${data.length} bytes is too long`);
  }
  return withCode(INVALID, 'StreamMuxConfig', () => {
    const r = new BitReader(data);
    if (r.readFlag()) throw new CodecsError(CodecsErrorCode.UNSUPPORTED, 'LATM audioMuxVersion 1');
    const allStreamsSameTimeFraming = r.readFlag();
    const numSubFrames = r.readBits(6);
    const numProgram = r.readBits(4);
    const numLayer = r.readBits(3);
    if (numProgram !== 0 || numLayer !== 0) {
      throw new CodecsError(
        CodecsErrorCode.UNSUPPORTED,
        `LATM with ${numProgram + 1} programs, ${numLayer + 1} layers`,
      );
    }
    // With audioMuxVersion 0 the config has no length, so no backward-compatible extension can follow it.
    const configStart = r.position;
    const config = readAudioSpecificConfig(r, false);
    const bytes = copyBits(data, configStart, r.position);
    const frameLengthType = r.readBits(3);
    if (frameLengthType === 0) {
      r.skipBits(8); // latmBufferFullness
      // coreFrameOffset only follows for scalable object types over a CELP core.
      if (!allStreamsSameTimeFraming && (config.objectType === 6 || config.objectType === 20)) {
        throw new CodecsError(CodecsErrorCode.UNSUPPORTED, 'LATM with a CELP core layer');
      }
    } else if (frameLengthType === 1) {
      r.skipBits(9); // frameLength
    } else {
      throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `LATM frameLengthType ${frameLengthType} (CELP/HVXC)`);
    }
    if (r.readFlag()) {
      // otherDataLenBits, in 8-bit pieces with an escape bit each.
      for (let escape = true; escape;) {
        escape = r.readFlag();
        r.skipBits(8);
      }
    }
    if (r.readFlag()) r.skipBits(8); // crcCheckSum
    return { ...config, bytes, numSubFrames, frameLengthType };
  });
}

/**
 * PayloadLengthInfo() for frameLengthType 0 (§1.7.3.1): the payload length as a run of bytes
 * summed up to the first byte that is not 0xFF. Returns the length and how many bytes encoded it.
 * The payload itself may continue in later RTP packets, so it is not checked against `data`.
 */
export function readLatmPayloadLengths(data: Uint8Array, offset: number): { length: number; headerBytes: number } {
  if (!Number.isInteger(offset) || offset < 0) throw new CodecsError(INVALID, `invalid offset ${offset}`);
  let length = 0;
  for (let at = offset; at < data.length; at++) {
    const byte = data[at] as number;
    length += byte;
    if (length > MAX_LATM_PAYLOAD_BYTES) {
      throw new CodecsError(INVALID, `LATM payload length exceeds ${MAX_LATM_PAYLOAD_BYTES} bytes`);
    }
    if (byte !== 0xff) return { length, headerBytes: at - offset + 1 };
  }
  throw new CodecsError(INVALID, `LATM PayloadLengthInfo runs past the end (offset ${offset})`);
}

/** Bits [from, to) of `data`, left-aligned into new bytes (the last one zero-padded). */
function copyBits(data: Uint8Array, from: number, to: number): Uint8Array {
  const r = new BitReader(data);
  r.skipBits(from);
  const w = new BitWriter({ initialBytes: Math.ceil((to - from) / 8) + 1 });
  for (let left = to - from; left > 0; left -= Math.min(left, 32)) {
    const n = Math.min(left, 32);
    w.writeBits(r.readBits(n), n);
  }
  return w.toUint8Array();
}
