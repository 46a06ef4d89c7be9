import { BitReader, BitWriter, isCodedError } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { withCode } from '../syntax.js';

/** An MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) of an AAC stream. */
export interface AudioSpecificConfig {
  /** The core audio object type: 2 for AAC-LC, also under HE-AAC. */
  objectType: number;
  /** 0..12, or 15 when the rate is coded explicitly. */
  samplingFrequencyIndex: number;
  /** Core sampling rate, Hz. */
  sampleRate: number;
  channelConfiguration: number;
  /** Output channels: from channelConfiguration or the program_config_element; 2 for parametric stereo. */
  channels: number;
  /** Samples per channel per core frame. */
  frameLength: 1024 | 960;
  /** 5 when SBR is signaled (HE-AAC), 29 when parametric stereo is too (HE-AAC v2). */
  extensionObjectType?: number;
  /** SBR output rate, Hz. */
  extensionSampleRate?: number;
  sbrPresent?: boolean;
  psPresent?: boolean;
  /** The AudioSpecificConfig bytes (a copy), as they go into an esds box. */
  bytes: Uint8Array;
}

/** Sampling frequencies by samplingFrequencyIndex (§1.6.3.4, table 1.18); 13 and 14 are reserved. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Output channels by channelConfiguration (§1.6.3.5, table 1.19); 0 means a PCE, -1 reserved. */
const CHANNELS_BY_CONFIGURATION: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8, -1, -1, -1, 7, 8, 24, 8, -1];

/**
 * Object types with a GASpecificConfig and 1024/960-sample frames (§1.6.2.1 table 1.15):
 * AAC Main, LC, SSR, LTP, Scalable, TwinVQ, and their error-resilient forms.
 */
const GA_OBJECT_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22]);
/** Error-resilient object types, which carry epConfig and set extensionFlag (§1.6.2.1). */
const ER_OBJECT_TYPES: ReadonlySet<number> = new Set([17, 19, 20, 21, 22]);
const SBR = 5;
const PS = 29;
const ER_BSAC = 22;
/** syncExtensionType values of the backward-compatible SBR and PS signaling (§1.6.5.2). */
const SYNC_EXTENSION_SBR = 0x2b7;
const SYNC_EXTENSION_PS = 0x548;
/** 512 bytes: an AudioSpecificConfig is 2..7 bytes; one with a PCE and its longest comment stays under 300. */
const MAX_AUDIO_SPECIFIC_CONFIG_BYTES = 512;

const INVALID = CodecsErrorCode.INVALID_AUDIO_CONFIG;

/**
 * Parses an AudioSpecificConfig: AAC object types with a GASpecificConfig, HE-AAC and HE-AAC v2
 * signaled explicitly (object type 5 or 29 first) or backward-compatibly (sync extension 0x2b7),
 * escaped object types (31) and explicit 24-bit sampling rates (index 15). Throws
 * CODECS_INVALID_AUDIO_CONFIG when malformed, CODECS_UNSUPPORTED for object types without a
 * GASpecificConfig (CELP, HVXC, ELD, USAC, ...).
 */
export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  if (data.length > MAX_AUDIO_SPECIFIC_CONFIG_BYTES) {
    throw new CodecsError(INVALID, `AudioSpecificConfig of ${data.length} bytes is too long`);
  }
  const r = new BitReader(data);
  const config = readAudioSpecificConfig(r, true);
  return { ...config, bytes: data.slice() };
}

/**
 * AudioSpecificConfig() read from `r` at any bit position. `syncExtension`: whether the config
 * ends where `r` ends, so that trailing bits may hold the backward-compatible SBR/PS extension
 * (not so inside a LATM StreamMuxConfig with audioMuxVersion 0, which has no length).
 */
export function readAudioSpecificConfig(r: BitReader, syncExtension: boolean): Omit<AudioSpecificConfig, 'bytes'> {
  return withCode(INVALID, 'AudioSpecificConfig', () => readConfig(r, syncExtension));
}

function readConfig(r: BitReader, syncExtension: boolean): Omit<AudioSpecificConfig, 'bytes'> {
  const start = r.position;
  let objectType = readObjectType(r);
  const { index: samplingFrequencyIndex, rate: sampleRate } = readSamplingFrequency(r);
  const channelConfiguration = r.readBits(4);
  let extensionObjectType: number | undefined;
  let extensionSampleRate: number | undefined;
  let sbrPresent: boolean | undefined;
  let psPresent: boolean | undefined;
  if (objectType === SBR || objectType === PS) {
    // Explicit hierarchical signaling: the extension comes first, then the core object type.
    sbrPresent = true;
    psPresent = objectType === PS;
    extensionObjectType = objectType;
    extensionSampleRate = readSamplingFrequency(r).rate;
    objectType = readObjectType(r);
    if (objectType === ER_BSAC) r.skipBits(4); // extensionChannelConfiguration
  }
  if (!GA_OBJECT_TYPES.has(objectType)) {
    throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `audio object type ${objectType} is not an AAC object type`);
  }
  const channelsOf = CHANNELS_BY_CONFIGURATION[channelConfiguration] ?? -1;
  if (channelsOf < 0) throw new CodecsError(INVALID, `channelConfiguration ${channelConfiguration} is reserved`);

  // GASpecificConfig (§4.4.1)
  const frameLength = r.readFlag() ? 960 : 1024;
  if (r.readFlag()) r.skipBits(14); // dependsOnCoreCoder: coreCoderDelay
  const extensionFlag = r.readFlag();
  let channels = channelsOf;
  if (channelConfiguration === 0) channels = readProgramConfigElementChannels(r, start);
  if (objectType === 6 || objectType === 20) r.skipBits(3); // layerNr
  if (extensionFlag) {
    if (objectType === ER_BSAC) r.skipBits(5 + 11); // numOfSubFrame, layer_length
    if (objectType === 17 || objectType === 19 || objectType === 20) r.skipBits(3); // resilience flags
    r.skipBits(1); // extensionFlag3
  }
  if (ER_OBJECT_TYPES.has(objectType)) {
    const epConfig = r.readBits(2);
    if (epConfig >= 2) throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `epConfig ${epConfig} (error protection)`);
  }

  if (syncExtension && extensionObjectType === undefined && r.bitsLeft >= 16) {
    const extension = readSyncExtension(r);
    if (extension !== undefined) {
      sbrPresent = extension.sbrPresent;
      if (extension.sbrPresent) {
        psPresent = extension.psPresent;
        extensionObjectType = extension.psPresent ? PS : SBR;
        extensionSampleRate = extension.sampleRate;
      }
    }
  }

  const config: Omit<AudioSpecificConfig, 'bytes'> = {
    objectType,
    samplingFrequencyIndex,
    sampleRate,
    channelConfiguration,
    // Parametric stereo turns a mono core into stereo output.
    channels: psPresent === true && channels === 1 ? 2 : channels,
    frameLength,
  };
  if (extensionObjectType !== undefined) config.extensionObjectType = extensionObjectType;
  if (extensionSampleRate !== undefined) config.extensionSampleRate = extensionSampleRate;
  if (sbrPresent !== undefined) config.sbrPresent = sbrPresent;
  if (psPresent !== undefined) config.psPresent = psPresent;
  return config;
}

/**
 * The backward-compatible extension after the core config (§1.6.2.1). Encoders that pad configs
 * leave other bits here, and a truncated extension still leaves a complete core config: both
 * are ignored, like decoders do.
 */
function readSyncExtension(
  r: BitReader,
): { sbrPresent: boolean; psPresent: boolean; sampleRate: number | undefined } | undefined {
  try {
    if (r.readBits(11) !== SYNC_EXTENSION_SBR) return undefined;
    if (readObjectType(r) !== SBR) return undefined;
    const sbrPresent = r.readFlag();
    if (!sbrPresent) return { sbrPresent, psPresent: false, sampleRate: undefined };
    const sampleRate = readSamplingFrequency(r).rate;
    let psPresent = false;
    if (r.bitsLeft >= 12 && r.readBits(11) === SYNC_EXTENSION_PS) psPresent = r.readFlag();
    return { sbrPresent, psPresent, sampleRate };
  } catch (err) {
    if (!isCodedError(err)) throw err;
    return undefined;
  }
}

/** GetAudioObjectType() (§1.6.2.1.1): 5 bits, or 31 and 6 more for types 32..95. */
function readObjectType(r: BitReader): number {
  const type = r.readBits(5);
  return type === 31 ? 32 + r.readBits(6) : type;
}

function readSamplingFrequency(r: BitReader): { index: number; rate: number } {
  const index = r.readBits(4);
  if (index === 15) {
    const rate = r.readBits(24);
    if (rate === 0) throw new CodecsError(INVALID, 'explicit sampling frequency of 0 Hz');
    return { index, rate };
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new CodecsError(INVALID, `samplingFrequencyIndex ${index} is reserved`);
  return { index, rate };
}

/**
 * program_config_element() (§4.4.1.1), read for its channel count: each single channel or LFE
 * element is one channel, each channel pair element two. `configStart` is where the
 * AudioSpecificConfig began: byte_alignment() is relative to it.
 */
function readProgramConfigElementChannels(r: BitReader, configStart: number): number {
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4);
  const side = r.readBits(4);
  const back = r.readBits(4);
  const lfe = r.readBits(2);
  const assocData = r.readBits(3);
  const validCc = r.readBits(4);
  if (r.readFlag()) r.skipBits(4); // mono_mixdown_element_number
  if (r.readFlag()) r.skipBits(4); // stereo_mixdown_element_number
  if (r.readFlag()) r.skipBits(3); // matrix_mixdown_idx, pseudo_surround_enable
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readFlag() ? 2 : 1; // *_element_is_cpe
    r.skipBits(4); // *_element_tag_select
  }
  r.skipBits(4 * lfe + 4 * assocData + 5 * validCc);
  r.skipBits((8 - ((r.position - configStart) % 8)) % 8); // byte_alignment()
  r.skipBits(8 * r.readBits(8)); // comment_field_bytes, comment_field_data
  if (channels === 0) throw new CodecsError(INVALID, 'program_config_element without channels');
  return channels;
}

/** Writes a 2-byte (or longer, for explicit rates) AudioSpecificConfig for an AAC object type. */
export function writeAudioSpecificConfig(config: {
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
  frameLength?: 1024 | 960;
}): Uint8Array {
  const { objectType, sampleRate, channelConfiguration } = config;
  if (!GA_OBJECT_TYPES.has(objectType)) {
    throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `cannot write a config for audio object type ${objectType}`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate >= 2 ** 24) {
    throw new CodecsError(INVALID, `sample rate ${sampleRate} cannot be coded`);
  }
  if ((CHANNELS_BY_CONFIGURATION[channelConfiguration] ?? 0) <= 0) {
    // 0 would need a program_config_element.
    throw new CodecsError(CodecsErrorCode.UNSUPPORTED, `cannot write channelConfiguration ${channelConfiguration}`);
  }
  const w = new BitWriter({ initialBytes: 8 });
  w.writeBits(objectType, 5);
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  if (index >= 0) {
    w.writeBits(index, 4);
  } else {
    w.writeBits(15, 4);
    w.writeBits(sampleRate, 24);
  }
  w.writeBits(channelConfiguration, 4);
  w.writeBit(config.frameLength === 960); // frameLengthFlag
  w.writeBit(0); // dependsOnCoreCoder
  const er = ER_OBJECT_TYPES.has(objectType);
  w.writeBit(er); // extensionFlag: set for the error-resilient types
  if (objectType === 6 || objectType === 20) w.writeBits(0, 3); // layerNr
  if (er) {
    if (objectType === ER_BSAC) w.writeBits(0, 5 + 11); // numOfSubFrame, layer_length
    if (objectType === 17 || objectType === 19 || objectType === 20) w.writeBits(0, 3); // resilience flags
    w.writeBit(0); // extensionFlag3
    w.writeBits(0, 2); // epConfig
  }
  w.alignWithZeros();
  return w.toUint8Array();
}

/** RFC 6381 §3.3 codec string: mp4a.40.<object type>, with 5 for HE-AAC and 29 for HE-AAC v2. */
export function aacCodecString(config: Pick<AudioSpecificConfig, 'objectType' | 'extensionObjectType'>): string {
  return `mp4a.40.${config.extensionObjectType ?? config.objectType}`;
}
