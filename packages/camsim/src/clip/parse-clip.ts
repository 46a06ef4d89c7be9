import { isCodedError } from '@camgate/bits';
import {
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  isH265RandomAccess,
  parseAudioSpecificConfig,
} from '@camgate/codecs';
import { CamsimError, CamsimErrorCode } from '../errors.js';
import type { Clip, ClipConfig, ClipFrame, ClipTrack, Codec } from './clip.js';

/** "CAMCLIP\0", then a big-endian u32 format version and a big-endian u32 header length. */
const MAGIC = [0x43, 0x41, 0x4d, 0x43, 0x4c, 0x49, 0x50, 0x00] as const;
export const CLIP_FORMAT_VERSION = 1;
const PREFIX_BYTES = 16;

/** 16 MiB: the bundled clips are ~270 KB; a minute of 1080p at 2 Mbit/s would be 15 MB. */
export const MAX_CLIP_BYTES = 16 * 1024 * 1024;
/** 1 MiB: a 6.4 s clip's header is ~12 KB; a minute of 60 fps video and 96 kHz AAC is ~150 KB. */
const MAX_HEADER_BYTES = 1024 * 1024;
/** One video and one audio track, as a camera sends (one m= line of each kind in its SDP). */
const MAX_TRACKS = 2;
/** 60 s: a loop is a short clip; bounds every timestamp and frame count in the file. */
const MAX_LOOP_SECONDS = 60;
/** 10 000: 60 s of 120 fps video, or of 96 kHz AAC (94 frames a second). */
const MAX_FRAMES_PER_TRACK = 10_000;
/** 1 KiB: parameter sets of real streams are tens of bytes, an AudioSpecificConfig 2 to 7. */
const MAX_CONFIG_BYTES = 1024;
/** 8: the most channels a camera's audio has (7.1); most are mono. */
const MAX_CHANNELS = 8;
/** 8191 bytes: the largest AU the AAC-hbr AU-size field (13 bits) can announce (RFC 3640 §3.3.6). */
const MAX_AAC_AU_BYTES = 8191;
/** RFC 6184 §8.2.1 and RFC 7798 §7.1: H.264 and H.265 use a 90 kHz RTP clock. */
const VIDEO_CLOCK_RATE = 90_000;
/** RFC 3551 §4.5.14: PCMA and PCMU sample at 8 kHz, one byte per sample and channel. */
const G711_CLOCK_RATE = 8000;
/** Length prefix of each NAL unit in a video frame (ISO 14496-15 §5.3.2, lengthSizeMinusOne = 3). */
const NAL_LENGTH_BYTES = 4;
const EMPTY = new Uint8Array(0);

const CODECS: Record<Codec, { kind: 'video' | 'audio'; config: ReadonlyArray<keyof ClipConfig> }> = {
  h264: { kind: 'video', config: ['sps', 'pps'] },
  h265: { kind: 'video', config: ['vps', 'sps', 'pps'] },
  aac: { kind: 'audio', config: ['audioSpecificConfig'] },
  pcma: { kind: 'audio', config: [] },
  pcmu: { kind: 'audio', config: [] },
  l16: { kind: 'audio', config: [] },
};

/** Parameter set NAL unit types, by config field. */
const PARAMETER_SET_TYPES: Record<'h264' | 'h265', Partial<Record<keyof ClipConfig, number>>> = {
  h264: { sps: H264NalType.SPS, pps: H264NalType.PPS },
  h265: { vps: H265NalType.VPS, sps: H265NalType.SPS, pps: H265NalType.PPS },
};

/**
 * Parses and validates a .camclip file (format: packages/camsim/fixtures/README.md).
 * Everything a player relies on is checked, so that looping and packetizing a
 * parsed clip cannot fail: bounds and sizes, one keyframe first, increasing
 * decode times, presentation times on an exact frame grid that fills the loop,
 * equal loop durations across tracks, and video frames made of well-formed NAL
 * units with in-band parameter sets before each keyframe. Frame data are
 * views on `bytes` (no copy). Anything else throws CAMSIM_INVALID_CLIP.
 */
export function parseClip(bytes: Uint8Array, name: string): Clip {
  if (bytes.length > MAX_CLIP_BYTES) fail(name, `${bytes.length} bytes is larger than ${MAX_CLIP_BYTES}`);
  if (bytes.length < PREFIX_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) fail(name, 'not a camclip file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8);
  if (version !== CLIP_FORMAT_VERSION) fail(name, `format version ${version} is not ${CLIP_FORMAT_VERSION}`);
  const headerLength = view.getUint32(12);
  if (headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - PREFIX_BYTES) {
    fail(name, `header of ${headerLength} bytes does not fit`);
  }
  const header = readObject(name, parseJson(name, bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)), 'header');
  if (header['name'] !== name) fail(name, `the file is clip ${JSON.stringify(header['name'])}`);
  const trackList = readArray(name, header['tracks'], 'tracks', MAX_TRACKS);
  if (trackList.length === 0) fail(name, 'no tracks');

  let offset = PREFIX_BYTES + headerLength;
  const tracks = trackList.map((value, index) => {
    const where = `track ${index}`;
    const { track, sizes } = readTrack(name, readObject(name, value, where), where);
    for (const [k, frame] of track.frames.entries()) {
      const size = sizes[k] as number;
      if (size > bytes.length - offset) fail(name, `${where} frame ${k} runs past the end of the file`);
      frame.data = bytes.subarray(offset, offset + size);
      offset += size;
    }
    validateFrameData(name, track, where);
    return track;
  });
  if (offset !== bytes.length) fail(name, `${bytes.length - offset} bytes after the last frame`);

  for (const kind of ['video', 'audio'] as const) {
    if (tracks.filter((t) => t.kind === kind).length > 1) fail(name, `more than one ${kind} track`);
  }
  const first = tracks[0] as ClipTrack;
  for (const track of tracks) {
    // Integer cross-multiplication: exact, and at most 60 s * 192 kHz * 192 kHz, far below 2^53.
    if (track.durationTicks * first.clockRate !== first.durationTicks * track.clockRate) {
      fail(name, 'tracks loop after different durations, so A/V sync would drift');
    }
  }
  return { name, durationMs: (first.durationTicks * 1000) / first.clockRate, tracks };
}

function readTrack(clip: string, value: Record<string, unknown>, where: string): { track: ClipTrack; sizes: number[] } {
  const codec = value['codec'];
  if (typeof codec !== 'string' || !Object.hasOwn(CODECS, codec)) fail(clip, `${where} has unknown codec`);
  const spec = CODECS[codec as Codec];
  if (value['kind'] !== spec.kind) fail(clip, `${where}: ${codec} is a ${spec.kind} codec`);

  const clockRate = readInteger(clip, value['clockRate'], `${where} clockRate`, 1, 192_000);
  if (spec.kind === 'video' && clockRate !== VIDEO_CLOCK_RATE) fail(clip, `${where}: video clock rate ${clockRate}`);
  if ((codec === 'pcma' || codec === 'pcmu') && clockRate !== G711_CLOCK_RATE) {
    fail(clip, `${where}: ${codec.toUpperCase()} clock rate ${clockRate}`);
  }
  const durationTicks = readInteger(
    clip,
    value['durationTicks'],
    `${where} durationTicks`,
    1,
    MAX_LOOP_SECONDS * clockRate,
  );

  const track: ClipTrack = {
    kind: spec.kind,
    codec: codec as Codec,
    clockRate,
    config: readConfig(clip, value['config'], codec as Codec, `${where} config`),
    durationTicks,
    frames: [],
  };
  if (spec.kind === 'audio') {
    track.channels = readInteger(clip, value['channels'], `${where} channels`, 1, MAX_CHANNELS);
  } else if (value['channels'] !== undefined) {
    fail(clip, `${where}: a video track has no channels`);
  }

  const list = readArray(clip, value['frames'], `${where} frames`, MAX_FRAMES_PER_TRACK);
  if (list.length === 0) fail(clip, `${where} has no frames`);
  const sizes: number[] = [];
  for (const [k, entry] of list.entries()) {
    const at = `${where} frame ${k}`;
    const fields = readArray(clip, entry, at, 4);
    if (fields.length !== 4) fail(clip, `${at} is not [pts, dts, size, keyframe]`);
    const pts = readInteger(clip, fields[0], `${at} pts`, 0, durationTicks - 1);
    const dts = readInteger(clip, fields[1], `${at} dts`, -durationTicks, pts);
    sizes.push(readInteger(clip, fields[2], `${at} size`, 1, MAX_CLIP_BYTES));
    const keyframe = readInteger(clip, fields[3], `${at} keyframe`, 0, 1) === 1;
    track.frames.push({ pts, dts, keyframe, data: EMPTY });
  }
  validateTiming(clip, track, where);
  return { track, sizes };
}

/**
 * Timing a seamless loop needs: decoding starts at a keyframe, decode times
 * increase and stay within one loop, and presentation times are exactly 0,
 * step, 2 step, ... with the last frame lasting one step to the loop's end.
 */
function validateTiming(clip: string, track: ClipTrack, where: string): void {
  const frames = track.frames;
  const firstFrame = frames[0] as ClipFrame;
  if (!firstFrame.keyframe) fail(clip, `${where}: the first frame is not a keyframe`);
  for (let k = 1; k < frames.length; k++) {
    if ((frames[k] as ClipFrame).dts <= (frames[k - 1] as ClipFrame).dts) {
      fail(clip, `${where} frame ${k}: decode times do not increase`);
    }
  }
  if ((frames[frames.length - 1] as ClipFrame).dts >= firstFrame.dts + track.durationTicks) {
    fail(clip, `${where}: decode times overrun the loop`);
  }
  const step = track.durationTicks / frames.length;
  if (!Number.isInteger(step)) fail(clip, `${where}: ${frames.length} frames do not divide the loop evenly`);
  const sorted = frames.map((f) => f.pts).sort((a, b) => a - b);
  if (sorted.some((pts, k) => pts !== k * step))
    fail(clip, `${where}: presentation times are not multiples of ${step}`);
  if (track.kind === 'audio' && frames.some((f) => f.dts !== f.pts || !f.keyframe)) {
    fail(clip, `${where}: every audio frame is a keyframe decoded at its presentation time`);
  }
}

function validateFrameData(clip: string, track: ClipTrack, where: string): void {
  const step = track.durationTicks / track.frames.length;
  switch (track.codec) {
    case 'h264':
    case 'h265':
      for (const [k, frame] of track.frames.entries()) validateAccessUnit(clip, track, frame, `${where} frame ${k}`);
      return;
    case 'aac': {
      const config = audioSpecificConfig(clip, track, where);
      if (step !== config.frameLength * (track.clockRate / config.sampleRate)) {
        fail(clip, `${where}: frames are ${step} ticks apart, AAC frames last ${config.frameLength} samples`);
      }
      for (const [k, frame] of track.frames.entries()) {
        if (frame.data.length > MAX_AAC_AU_BYTES) fail(clip, `${where} frame ${k}: AAC AU too large`);
      }
      return;
    }
    case 'pcma':
    case 'pcmu':
    case 'l16':
      // One byte per sample and channel for G.711, two for L16 (RFC 3551 §4.5.14, §4.5.11).
      for (const [k, frame] of track.frames.entries()) {
        if (frame.data.length !== step * (track.channels ?? 1) * (track.codec === 'l16' ? 2 : 1)) {
          fail(clip, `${where} frame ${k}: ${frame.data.length} bytes for ${step} samples`);
        }
      }
      return;
  }
}

function audioSpecificConfig(
  clip: string,
  track: ClipTrack,
  where: string,
): { frameLength: number; sampleRate: number } {
  let config;
  try {
    config = parseAudioSpecificConfig(track.config.audioSpecificConfig ?? EMPTY);
  } catch (err) {
    if (!isCodedError(err)) throw err;
    return fail(clip, `${where}: ${err.message}`);
  }
  const outputRate = config.sbrPresent === true ? (config.extensionSampleRate ?? config.sampleRate) : config.sampleRate;
  if (outputRate !== track.clockRate || config.channels !== track.channels) {
    fail(clip, `${where}: AudioSpecificConfig says ${outputRate} Hz, ${config.channels} channels`);
  }
  return config;
}

/**
 * A video frame: NAL units of types a packetizer accepts (H.264 1..23, H.265
 * 0..47 with a non-zero TemporalId), with the forbidden bit clear. A keyframe
 * holds an IDR (H.264) or IRAP (H.265) picture after the track's parameter sets;
 * other frames hold neither.
 */
function validateAccessUnit(clip: string, track: ClipTrack, frame: ClipFrame, where: string): void {
  const h264 = track.codec === 'h264';
  const data = frame.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parameterSets = PARAMETER_SET_TYPES[h264 ? 'h264' : 'h265'];
  const missing = new Set(Object.values(parameterSets));
  let randomAccess = false;
  for (let at = 0; at < data.length;) {
    if (data.length - at < NAL_LENGTH_BYTES) fail(clip, `${where}: truncated NAL unit length`);
    const length = view.getUint32(at);
    at += NAL_LENGTH_BYTES;
    if (length < (h264 ? 1 : 2) || length > data.length - at) fail(clip, `${where}: bad NAL unit length ${length}`);
    const nal = data.subarray(at, at + length);
    at += length;
    if (((nal[0] as number) & 0x80) !== 0) fail(clip, `${where}: forbidden_zero_bit is set`);
    const type = h264 ? h264NalType(nal) : h265NalType(nal);
    // RFC 6184 §5.2, RFC 7798 §4.4: these types mean aggregation or fragmentation units in RTP.
    if (h264 ? type === 0 || type > 23 : type > 47)
      fail(clip, `${where}: NAL unit type ${type} cannot be sent over RTP`);
    if (!h264 && ((nal[1] as number) & 0x07) === 0) fail(clip, `${where}: nuh_temporal_id_plus1 is 0`);
    randomAccess ||= h264 ? type === H264NalType.IDR_SLICE : isH265RandomAccess(type);
    for (const [field, psType] of Object.entries(parameterSets) as Array<[keyof ClipConfig, number]>) {
      if (type !== psType) continue;
      if (!randomAccess && equalBytes(nal, track.config[field] ?? EMPTY)) missing.delete(type);
      else fail(clip, `${where}: in-band ${field} differs from the track's or follows the picture`);
    }
  }
  if (randomAccess !== frame.keyframe) fail(clip, `${where}: keyframe flag does not match its pictures`);
  if (frame.keyframe && missing.size > 0) fail(clip, `${where}: keyframe without its parameter sets`);
}

function readConfig(clip: string, value: unknown, codec: Codec, where: string): ClipConfig {
  const object = readObject(clip, value, where);
  const fields = CODECS[codec].config;
  for (const key of Object.keys(object)) {
    if (!(fields as readonly string[]).includes(key)) fail(clip, `${where} has unexpected ${key}`);
  }
  const config: ClipConfig = {};
  for (const field of fields) {
    const text = object[field];
    if (text === undefined) fail(clip, `${where} has no ${field}`);
    // Strict base64 (RFC 4648 §4): Buffer.from would skip garbage silently.
    if (
      typeof text !== 'string' ||
      text.length === 0 ||
      text.length > Math.ceil(MAX_CONFIG_BYTES / 3) * 4 ||
      !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
    ) {
      return fail(clip, `${where} ${field} is not base64`);
    }
    const bytes = Uint8Array.from(Buffer.from(text, 'base64'));
    if (codec === 'h264' || codec === 'h265') {
      const type = codec === 'h264' ? h264NalType(bytes) : h265NalType(bytes);
      if (type !== PARAMETER_SET_TYPES[codec][field] || ((bytes[0] as number) & 0x80) !== 0 || bytes.length < 4) {
        fail(clip, `${where} ${field} is not a ${field.toUpperCase()} NAL unit`);
      }
    }
    config[field] = bytes;
  }
  return config;
}

function parseJson(clip: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (err) {
    return fail(clip, `header is not UTF-8 JSON: ${(err as Error).message}`);
  }
}

function readObject(clip: string, value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(clip, `${where} is not an object`);
  return value as Record<string, unknown>;
}

function readArray(clip: string, value: unknown, where: string, maxLength: number): unknown[] {
  if (!Array.isArray(value)) fail(clip, `${where} is not an array`);
  if ((value as unknown[]).length > maxLength) fail(clip, `${where} has more than ${maxLength} entries`);
  return value as unknown[];
}

function readInteger(clip: string, value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(clip, `${where} is not an integer in ${min}..${max}`);
  }
  return value;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function fail(clip: string, message: string): never {
  throw new CamsimError(CamsimErrorCode.INVALID_CLIP, `clip ${clip}: ${message}`);
}
