import { isCodedError } from '@camgate/bits';
import {
  aacCodecString,
  FLAC_BITS_PER_SAMPLE,
  flacStreamInfo,
  h264CodecString,
  H264NalType,
  h264NalType,
  h265CodecString,
  H265NalType,
  h265NalType,
  MAX_FLAC_BLOCK_SIZE,
  parseAudioSpecificConfig,
  parseH264Pps,
  parseH264Sps,
  parseH265Pps,
  parseH265Sps,
  parseH265Vps,
} from '@camgate/codecs';
import type { BoxWriter } from './box-writer.js';
import { AUDIO_SAMPLE_ENTRY_HEADER_SIZE, startAudioSampleEntry } from './boxes/audio-sample-entry.js';
import { avcCRecordOf, avcCSize, writeAvcC } from './boxes/avcc.js';
import { DOPS_SIZE, type OpusSpecificConfig, writeDops } from './boxes/dops.js';
import { DFLA_SIZE, writeDfla } from './boxes/dfla.js';
import { esdsSize, writeEsds } from './boxes/esds.js';
import { hvcCRecordOf, hvcCSize, writeHvcC } from './boxes/hvcc.js';
import {
  PASP_SIZE,
  startVisualSampleEntry,
  VISUAL_SAMPLE_ENTRY_HEADER_SIZE,
  writePasp,
} from './boxes/visual-sample-entry.js';
import { Fmp4Error, Fmp4ErrorCode } from './errors.js';
import type { TrackConfig } from './track-config.js';

/** A track's sample entry, parsed from its configuration and sized, ready to be written. */
export interface SampleEntry {
  readonly kind: 'video' | 'audio';
  /** RFC 6381 codec string, from the same parsed values the entry is written from. */
  readonly codec: string;
  /** Video: the cropped picture size in pixels; 0 for audio. */
  readonly width: number;
  readonly height: number;
  /** Audio: output channels and rate; 0 for video. */
  readonly channels: number;
  readonly sampleRate: number;
  /** Video: the sample aspect ratio, when the SPS signals one other than 1:1 (a pasp box is written). */
  readonly sampleAspectRatio?: { readonly num: number; readonly den: number };
  /** Bytes {@link write} writes. */
  readonly size: number;
  write(w: BoxWriter): void;
}

/** 65535: avcC and hvcC store each parameter set's length in 16 bits (ISO/IEC 14496-15 §5.3.3.1.2, §8.3.3.1.2). */
const MAX_PARAMETER_SET_LENGTH = 0xffff;
/** 3 bits hold bitDepth*Minus8 in hvcC (§8.3.3.1.2); H.265 allows up to 16-bit samples, hvcC only 15. */
const MAX_HVCC_BIT_DEPTH_MINUS8 = 7;

const INVALID = Fmp4ErrorCode.INVALID_CONFIG;

/**
 * Parses a track configuration into its sample entry. Throws FMP4_INVALID_CONFIG when the
 * configuration cannot make one (an unparsable parameter set, a channel count the box cannot carry).
 */
export function sampleEntryOf(config: TrackConfig): SampleEntry {
  // Callers from JavaScript or from parsed input may pass anything.
  const { kind, codec } = config as { kind: unknown; codec: unknown };
  if (kind === 'video' && codec === 'h264') return avc1Entry(config as Extract<TrackConfig, { codec: 'h264' }>);
  if (kind === 'video' && codec === 'h265') return hvc1Entry(config as Extract<TrackConfig, { codec: 'h265' }>);
  if (kind === 'audio' && codec === 'aac') return mp4aEntry(config as Extract<TrackConfig, { codec: 'aac' }>);
  if (kind === 'audio' && codec === 'opus') return opusEntry(config as Extract<TrackConfig, { codec: 'opus' }>);
  if (kind === 'audio' && codec === 'flac') return flacEntry(config as Extract<TrackConfig, { codec: 'flac' }>);
  throw new Fmp4Error(INVALID, `no sample entry for a ${String(kind)} track of codec ${String(codec)}`);
}

/**
 * The RFC 6381 codec string of a configuration, for the CODECS attribute: `avc1.PPCCLL`
 * (RFC 6381 §3.3), `hvc1.*` (ISO/IEC 14496-15 Annex E.3), `mp4a.40.N` (RFC 6381 §3.3) or `opus`
 * (lower case, which is what browsers accept; the sample entry itself is 'Opus').
 */
export function codecStringOf(config: TrackConfig): string {
  return sampleEntryOf(config).codec;
}

/** `avc1` VisualSampleEntry with avcC (ISO/IEC 14496-15 §5.4.2) and pasp for non-square samples. */
function avc1Entry(config: { sps: Uint8Array; pps: Uint8Array }): SampleEntry {
  checkParameterSet('H.264 SPS', config.sps, (nal) => h264NalType(nal) === H264NalType.SPS);
  checkParameterSet('H.264 PPS', config.pps, (nal) => h264NalType(nal) === H264NalType.PPS);
  const sps = parsed('H.264 SPS', () => parseH264Sps(config.sps));
  parsed('H.264 PPS', () => parseH264Pps(config.pps));
  const record = avcCRecordOf(sps, config.sps, config.pps);
  return visualEntry('avc1', h264CodecString(config.sps), sps, avcCSize(record), (w) => writeAvcC(w, record));
}

/** `hvc1` VisualSampleEntry with hvcC (ISO/IEC 14496-15 §8.4.1) and pasp for non-square samples. */
function hvc1Entry(config: { vps: Uint8Array; sps: Uint8Array; pps: Uint8Array }): SampleEntry {
  checkParameterSet('H.265 VPS', config.vps, (nal) => h265NalType(nal) === H265NalType.VPS);
  checkParameterSet('H.265 SPS', config.sps, (nal) => h265NalType(nal) === H265NalType.SPS);
  checkParameterSet('H.265 PPS', config.pps, (nal) => h265NalType(nal) === H265NalType.PPS);
  parsed('H.265 VPS', () => parseH265Vps(config.vps));
  const sps = parsed('H.265 SPS', () => parseH265Sps(config.sps));
  parsed('H.265 PPS', () => parseH265Pps(config.pps));
  if (sps.bitDepthLuma - 8 > MAX_HVCC_BIT_DEPTH_MINUS8 || sps.bitDepthChroma - 8 > MAX_HVCC_BIT_DEPTH_MINUS8) {
    throw new Fmp4Error(INVALID, `H.265 bit depth ${sps.bitDepthLuma}/${sps.bitDepthChroma} does not fit hvcC`);
  }
  const record = hvcCRecordOf(sps, config);
  return visualEntry('hvc1', h265CodecString(sps, 'hvc1'), sps, hvcCSize(record), (w) => writeHvcC(w, record));
}

function visualEntry(
  fourcc: 'avc1' | 'hvc1',
  codec: string,
  picture: { width: number; height: number; sampleAspectRatio?: { num: number; den: number } },
  configSize: number,
  writeConfig: (w: BoxWriter) => void,
): SampleEntry {
  const { width, height } = picture;
  const sar = picture.sampleAspectRatio;
  // tkhd and the sample entry keep the picture size; pasp carries a non-square sample shape (§12.1.4).
  const pasp = sar !== undefined && sar.num !== sar.den ? sar : undefined;
  const entry: SampleEntry = {
    kind: 'video',
    codec,
    width,
    height,
    channels: 0,
    sampleRate: 0,
    size: VISUAL_SAMPLE_ENTRY_HEADER_SIZE + configSize + (pasp === undefined ? 0 : PASP_SIZE),
    write(w) {
      const box = startVisualSampleEntry(w, fourcc, width, height);
      writeConfig(w);
      if (pasp !== undefined) writePasp(w, pasp.num, pasp.den);
      w.endBox(box);
    },
  };
  return pasp === undefined ? entry : { ...entry, sampleAspectRatio: pasp };
}

/** `mp4a` AudioSampleEntry with esds (ISO/IEC 14496-14 §5.6) around the AudioSpecificConfig as received. */
function mp4aEntry(config: { audioSpecificConfig: Uint8Array }): SampleEntry {
  if (!((config.audioSpecificConfig as unknown) instanceof Uint8Array)) {
    throw new Fmp4Error(INVALID, 'AudioSpecificConfig is missing');
  }
  const asc = parsed('AudioSpecificConfig', () => parseAudioSpecificConfig(config.audioSpecificConfig));
  const bytes = config.audioSpecificConfig;
  // The output rate: with SBR (HE-AAC) twice the core rate (ISO/IEC 14496-3 §1.6.5).
  const sampleRate = asc.extensionSampleRate ?? asc.sampleRate;
  const channels = asc.channels;
  return {
    kind: 'audio',
    codec: aacCodecString(asc),
    width: 0,
    height: 0,
    channels,
    sampleRate,
    size: AUDIO_SAMPLE_ENTRY_HEADER_SIZE + esdsSize(bytes),
    write(w) {
      const box = startAudioSampleEntry(w, 'mp4a', channels, sampleRate);
      writeEsds(w, bytes);
      w.endBox(box);
    },
  };
}

/** Opus decodes to 48 kHz whatever the input rate (RFC 7845 §5.1); the entry's samplerate is 48000 (Opus in ISOBMFF §4.3.1). */
const OPUS_OUTPUT_RATE = 48000;

/** `Opus` AudioSampleEntry with dOps ("Encapsulation of Opus in ISO Base Media File Format" §4.3). */
function opusEntry(config: { channels: number; sampleRate: number; preSkip?: number }): SampleEntry {
  const { channels, sampleRate, preSkip = 0 } = config;
  // Channel mapping family 0 carries mono or stereo only (RFC 7845 §5.1.1.1), as RTP Opus does (RFC 7587 §7).
  if (channels !== 1 && channels !== 2) {
    throw new Fmp4Error(INVALID, `Opus with ${channels} channels: only 1 or 2 (channel mapping family 0)`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new Fmp4Error(INVALID, `Opus input sample rate ${sampleRate} is not a positive 32-bit integer`);
  }
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff) {
    throw new Fmp4Error(INVALID, `Opus pre-skip ${preSkip} is not a 16-bit unsigned integer`);
  }
  const dops: OpusSpecificConfig = { outputChannelCount: channels, preSkip, inputSampleRate: sampleRate };
  return {
    kind: 'audio',
    codec: 'opus',
    width: 0,
    height: 0,
    channels,
    sampleRate: OPUS_OUTPUT_RATE,
    size: AUDIO_SAMPLE_ENTRY_HEADER_SIZE + DOPS_SIZE,
    write(w) {
      const box = startAudioSampleEntry(w, 'Opus', channels, OPUS_OUTPUT_RATE);
      writeDops(w, dops);
      w.endBox(box);
    },
  };
}

/**
 * `fLaC` AudioSampleEntry with dfLa ("Encapsulation of FLAC in ISO Base Media File Format"
 * §3.3.1). The codec string is `fLaC`, capitalised: Safari's MSE and Apple's validator reject
 * `flac` (hls.js accepts both).
 */
function flacEntry(config: {
  channels: number;
  sampleRate: number;
  minBlockSize?: number;
  maxBlockSize?: number;
}): SampleEntry {
  const { channels, sampleRate, minBlockSize = FLAC_MIN_BLOCK_SIZE, maxBlockSize = MAX_FLAC_BLOCK_SIZE } = config;
  // camgate's encoder writes mono and stereo only (MAX_FLAC_CHANNELS); STREAMINFO alone would allow 8.
  if (channels !== 1 && channels !== 2) {
    throw new Fmp4Error(INVALID, `FLAC with ${channels} channels: only 1 or 2`);
  }
  const info = { minBlockSize, maxBlockSize, sampleRate, channels, bitsPerSample: FLAC_BITS_PER_SAMPLE };
  // Checks every field (channels, rate, block sizes) the way STREAMINFO needs them.
  parsed('FLAC STREAMINFO', () => flacStreamInfo(info));
  return {
    kind: 'audio',
    codec: 'fLaC',
    width: 0,
    height: 0,
    channels,
    sampleRate,
    size: AUDIO_SAMPLE_ENTRY_HEADER_SIZE + DFLA_SIZE,
    write(w) {
      const box = startAudioSampleEntry(w, 'fLaC', channels, sampleRate);
      writeDfla(w, info);
      w.endBox(box);
    },
  };
}

/** 16: the smallest block size STREAMINFO allows (RFC 9639 §8.2); camera packets are larger. */
const FLAC_MIN_BLOCK_SIZE = 16;

function checkParameterSet(what: string, nal: unknown, isType: (nal: Uint8Array) => boolean): void {
  if (!(nal instanceof Uint8Array) || nal.length === 0) {
    throw new Fmp4Error(INVALID, `${what} is missing or empty`);
  }
  if (nal.length > MAX_PARAMETER_SET_LENGTH) {
    throw new Fmp4Error(INVALID, `${what} of ${nal.length} bytes does not fit a 16-bit length`);
  }
  if (!isType(nal)) throw new Fmp4Error(INVALID, `${what} has the wrong NAL unit type`);
}

/** Runs a codecs parser, turning its coded errors into FMP4_INVALID_CONFIG (the cause keeps the original). */
function parsed<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!isCodedError(err)) throw err;
    throw new Fmp4Error(INVALID, `${what}: ${err.message}`, { cause: err });
  }
}
