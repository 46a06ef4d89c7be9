import { BitReader, isCodedError } from '@camgate/bits';
import { decodeHex } from '../encoding/hex.js';
import {
  MAX_AU_HEADER_FIELD_BITS,
  MAX_AUDIO_CONFIG_BYTES,
  MAX_CLOCK_RATE,
  MAX_CONSTANT_SIZE,
  MIN_CLOCK_RATE,
} from '../limits.js';
import { clip, parseDecimal } from '../rtpmap.js';
import type { TrackFormat } from '../track-format.js';

type AacFormat = Extract<TrackFormat, { codec: 'aac' }>;

/** The AU-header fields of RFC 3640 §3.2.1 and their fmtp names (§4.1), lower-cased as parseFmtpParameters keys them. */
const AU_HEADER_FIELDS = [
  ['sizelength', 'sizeLength'],
  ['indexlength', 'indexLength'],
  ['indexdeltalength', 'indexDeltaLength'],
  ['ctsdeltalength', 'ctsDeltaLength'],
  ['dtsdeltalength', 'dtsDeltaLength'],
  ['streamstateindication', 'streamStateIndication'],
  ['auxiliarydatasizelength', 'auxiliaryDataSizeLength'],
] as const;

/** Sampling frequencies by samplingFrequencyIndex (ISO 14496-3 table 1.18). */
const SAMPLING_FREQUENCIES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * AAC over RFC 3640 (`MPEG4-GENERIC`), modes AAC-hbr and AAC-lbr (§3.3.5, §3.3.6).
 * `config` (the AudioSpecificConfig) is mandatory; every AU-header length is read and checked,
 * whatever the mode's usual values, because the depacketizer takes them from here.
 */
export function resolveMpeg4Generic(
  payloadType: number,
  clockRate: number,
  channels: number | undefined,
  fmtp: ReadonlyMap<string, string>,
): TrackFormat {
  const unsupported = (reason: string): TrackFormat => ({
    codec: 'unsupported',
    payloadType,
    encoding: 'MPEG4-GENERIC',
    reason,
  });

  // streamType 5 is an audio stream in ISO 14496-1 (4 would be visual).
  const streamType = fmtp.get('streamtype')?.trim();
  if (streamType !== undefined && streamType !== '' && streamType !== '5') {
    return unsupported(`MPEG4-GENERIC streamtype ${clip(streamType)} is not audio (5)`);
  }
  // Modes are case-insensitive (§4.1). A missing mode is read as AAC, as gortsplib does; aac_hbr is a
  // misspelling some servers send (accepted by gortsplib too). CELP-cbr, CELP-vbr and generic are not AAC.
  const mode = fmtp.get('mode')?.trim().toLowerCase();
  if (mode !== undefined && mode !== 'aac-hbr' && mode !== 'aac_hbr' && mode !== 'aac-lbr') {
    return unsupported(
      `MPEG4-GENERIC mode ${clip(fmtp.get('mode') ?? '')} is not supported (only AAC-hbr and AAC-lbr)`,
    );
  }

  const configHex = fmtp.get('config')?.trim();
  if (configHex === undefined || configHex === '') return unsupported('AAC config is missing');
  const config = decodeHex(configHex, MAX_AUDIO_CONFIG_BYTES);
  // An AudioSpecificConfig has at least audioObjectType (5 bits), samplingFrequencyIndex (4) and channelConfiguration (4).
  if (config === undefined || config.length < 2) return unsupported(`AAC config ${clip(configHex)} is not valid hex`);

  const lengths: Record<(typeof AU_HEADER_FIELDS)[number][1], number> = {
    sizeLength: 0,
    indexLength: 0,
    indexDeltaLength: 0,
    ctsDeltaLength: 0,
    dtsDeltaLength: 0,
    streamStateIndication: 0,
    auxiliaryDataSizeLength: 0,
  };
  for (const [key, field] of AU_HEADER_FIELDS) {
    const text = fmtp.get(key)?.trim();
    if (text === undefined || text === '') continue; // default 0 (§4.1)
    const bits = parseDecimal(text);
    if (bits === undefined || bits > MAX_AU_HEADER_FIELD_BITS) {
      return unsupported(`AAC ${field} ${clip(text)} is not in 0..${MAX_AU_HEADER_FIELD_BITS}`);
    }
    lengths[field] = bits;
  }

  let constantSize: number | undefined;
  const constantSizeText = fmtp.get('constantsize')?.trim();
  if (constantSizeText !== undefined && constantSizeText !== '') {
    constantSize = parseDecimal(constantSizeText);
    if (constantSize === undefined || constantSize < 1 || constantSize > MAX_CONSTANT_SIZE) {
      return unsupported(`AAC constantSize ${clip(constantSizeText)} is not in 1..${MAX_CONSTANT_SIZE}`);
    }
  }
  // Without AU sizes in the headers and without a constant size, AUs cannot be delimited (§3.2.1).
  if (lengths.sizeLength === 0 && constantSize === undefined) return unsupported('AAC sizeLength is missing');

  const randomAccess = fmtp.get('randomaccessindication')?.trim();
  if (randomAccess !== undefined && randomAccess !== '' && randomAccess !== '0' && randomAccess !== '1') {
    return unsupported(`AAC randomAccessIndication ${clip(randomAccess)} is not 0 or 1`);
  }

  // The RTP clock is the rtpmap's (§4.1); when the rtpmap has none, the AudioSpecificConfig's sampling rate.
  const rate = clockRate !== 0 ? clockRate : audioSpecificConfigSampleRate(config);
  if (rate === undefined) return unsupported('AAC clock rate is missing and the config has no sampling rate');

  const format: AacFormat = {
    codec: 'aac',
    payloadType,
    clockRate: rate,
    config,
    ...lengths,
    randomAccessIndication: randomAccess === '1',
  };
  if (constantSize !== undefined) format.constantSize = constantSize;
  if (channels !== undefined) format.channels = channels;
  return format;
}

/** samplingFrequency of an AudioSpecificConfig (ISO 14496-3 §1.6.2.1), or undefined when it cannot be read. */
export function audioSpecificConfigSampleRate(config: Uint8Array): number | undefined {
  try {
    const reader = new BitReader(config);
    if (reader.readBits(5) === 31) reader.readBits(6); // audioObjectTypeExt
    const index = reader.readBits(4);
    if (index === 15) {
      const explicit = reader.readBits(24);
      // 24 bits reach 16.7 MHz: keep to the clock rates an rtpmap could carry.
      return explicit >= MIN_CLOCK_RATE && explicit <= MAX_CLOCK_RATE ? explicit : undefined;
    }
    return SAMPLING_FREQUENCIES[index];
  } catch (err) {
    if (isCodedError(err)) return undefined; // config too short
    throw err;
  }
}
