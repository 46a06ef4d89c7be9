import { BoxWriter } from './box-writer.js';
import { Fmp4Error, Fmp4ErrorCode } from './errors.js';
import { MAX_FRAGMENT_BYTES } from './limits.js';

export interface Sample {
  /** In the track's timescale. */
  duration: number;
  /** pts - dts in the track's timescale; may be negative (B-frames). */
  compositionOffset: number;
  /** A sync sample (IDR/IRAP; every audio sample). */
  sync: boolean;
  /** Sample data: video as 4-byte length-prefixed NAL units, audio as one raw frame. */
  data: Uint8Array;
}

export interface FragmentTrack {
  /** The track_ID of the init segment's track. */
  id: number;
  /** Decode time of the first sample in the track's timescale: a safe integer >= 0 (64-bit in tfdt). */
  baseMediaDecodeTime: number;
  samples: readonly Sample[];
}

/** moof header + mfhd (full box header, sequence_number). */
const MOOF_FIXED_SIZE = 8 + 16;
/** traf header + tfhd (full box header, track_ID) + tfdt version 1 (full box header, 64-bit time). */
const TRAF_FIXED_SIZE = 8 + 16 + 20;
/** trun full box header, sample_count and data_offset. */
const TRUN_FIXED_SIZE = 12 + 4 + 4;
/** trun per sample: duration, size, flags, composition time offset. */
const TRUN_SAMPLE_SIZE = 16;
const MDAT_HEADER_SIZE = 8;

/** tfhd flags: default-base-is-moof only (ISO/IEC 14496-12 §8.8.7.1, CMAF ISO/IEC 23000-19 §7.5.16). */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/**
 * trun flags: data-offset-present (0x1), sample-duration-present (0x100), sample-size-present
 * (0x200), sample-flags-present (0x400), sample-composition-time-offsets-present (0x800) (§8.8.8.1).
 */
const TRUN_FLAGS = 0x000f01;
/**
 * Sample flags (§8.8.3.1): a sync sample depends on no other (sample_depends_on 2); any other
 * depends on others (1) and has sample_is_non_sync_sample set. Audio samples are all sync.
 */
const SYNC_SAMPLE_FLAGS = 0x02000000;
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

const INVALID = Fmp4ErrorCode.INVALID_FRAGMENT;

/** Exact byte size of the fragment {@link writeFragment} writes for these tracks. */
export function fragmentSize(tracks: readonly FragmentTrack[]): number {
  let size = MOOF_FIXED_SIZE + MDAT_HEADER_SIZE;
  for (const track of tracks) {
    size += TRAF_FIXED_SIZE + TRUN_FIXED_SIZE + TRUN_SAMPLE_SIZE * track.samples.length;
    for (const sample of track.samples) size += sample.data.length;
  }
  return size;
}

/**
 * A CMAF fragment (ISO/IEC 23000-19 §7.3.2.3): moof (mfhd + one traf per track: tfhd with
 * default-base-is-moof, tfdt version 1, trun version 1) and one mdat holding the tracks' samples
 * in track order. Each trun's data_offset points at its track's first sample, relative to the
 * moof (§8.8.7.1). Built in one buffer of the exact size: the only copy of a sample's bytes is
 * into it. Throws FMP4_INVALID_FRAGMENT for values the boxes cannot carry and
 * FMP4_FRAGMENT_TOO_LARGE past MAX_FRAGMENT_BYTES.
 */
export function writeFragment(sequenceNumber: number, tracks: readonly FragmentTrack[]): Uint8Array {
  const size = checkFragment(sequenceNumber, tracks);
  return writeChecked(allocate(size), sequenceNumber, tracks, size);
}

/**
 * {@link writeFragment} into memory the caller owns (a packager's reused chunks): the fragment is
 * written at the start of `target` and returned as a view on it (its first {@link fragmentSize}
 * bytes). Throws as writeFragment does, and FMP4_BUFFER_OVERFLOW when `target` is too small
 * (nothing is written then).
 */
export function writeFragmentInto(
  target: Uint8Array,
  sequenceNumber: number,
  tracks: readonly FragmentTrack[],
): Uint8Array {
  const size = checkFragment(sequenceNumber, tracks);
  if (target.length < size) {
    throw new Fmp4Error(
      Fmp4ErrorCode.BUFFER_OVERFLOW,
      `a fragment of ${size} bytes does not fit a buffer of ${target.length}`,
    );
  }
  return writeChecked(target.subarray(0, size), sequenceNumber, tracks, size);
}

/** Checks what the boxes must carry; returns the fragment's size. */
function checkFragment(sequenceNumber: number, tracks: readonly FragmentTrack[]): number {
  if (!isUint32(sequenceNumber)) throw new Fmp4Error(INVALID, `sequence number ${sequenceNumber} is not 32-bit`);
  tracks.forEach(checkTrack);
  for (const track of tracks) for (const sample of track.samples) checkSample(sample, track.id);
  const size = fragmentSize(tracks);
  if (size > MAX_FRAGMENT_BYTES) {
    throw new Fmp4Error(Fmp4ErrorCode.FRAGMENT_TOO_LARGE, `fragment of ${size} bytes exceeds ${MAX_FRAGMENT_BYTES}`);
  }
  return size;
}

/** The one writer of fragments, reused (see BoxWriter.reset; writeChecked neither awaits nor recurses). */
const fragmentWriter = new BoxWriter(0);

/** Writes checked tracks into `target`, exactly `size` bytes long. */
function writeChecked(
  target: Uint8Array,
  sequenceNumber: number,
  tracks: readonly FragmentTrack[],
  size: number,
): Uint8Array {
  let moofSize = MOOF_FIXED_SIZE;
  for (const track of tracks) moofSize += TRAF_FIXED_SIZE + TRUN_FIXED_SIZE + TRUN_SAMPLE_SIZE * track.samples.length;
  const dataSize = size - moofSize - MDAT_HEADER_SIZE;
  const w = fragmentWriter;
  w.reset(target);
  const moof = w.startBox('moof'); // §8.8.4
  const mfhd = w.startFullBox('mfhd', 0, 0); // §8.8.5
  w.u32(sequenceNumber);
  w.endBox(mfhd);
  // Where the next track's samples start, relative to the moof: after the moof and the mdat header.
  let dataOffset = moofSize + MDAT_HEADER_SIZE;
  for (const track of tracks) {
    const samples = track.samples;
    const traf = w.startBox('traf'); // §8.8.6
    const tfhd = w.startFullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF); // §8.8.7
    w.u32(track.id);
    w.endBox(tfhd);
    const tfdt = w.startFullBox('tfdt', 1, 0); // §8.8.12, version 1: 64-bit time
    w.u64(track.baseMediaDecodeTime);
    w.endBox(tfdt);
    // Version 1: signed composition offsets, so B-frames need no edit list (§8.8.8.3).
    const trun = w.startFullBox('trun', 1, TRUN_FLAGS); // §8.8.8
    w.u32(samples.length);
    w.i32(dataOffset);
    for (const sample of samples) {
      w.u32(sample.duration);
      w.u32(sample.data.length);
      w.u32(sample.sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
      w.i32(sample.compositionOffset);
      dataOffset += sample.data.length;
    }
    w.endBox(trun);
    w.endBox(traf);
  }
  w.endBox(moof);
  w.u32(MDAT_HEADER_SIZE + dataSize); // MediaDataBox (§8.1.1)
  w.fourcc('mdat');
  for (const track of tracks) {
    for (const sample of track.samples) w.bytesFrom(sample.data);
  }
  return w.finishExact();
}

/** forEach callback: checks a track and that no earlier track has its id. */
function checkTrack(track: FragmentTrack, index: number, tracks: readonly FragmentTrack[]): void {
  if (!isUint32(track.id) || track.id === 0) throw new Fmp4Error(INVALID, `track id ${track.id} is not in 1..2^32-1`);
  const time = track.baseMediaDecodeTime;
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new Fmp4Error(INVALID, `baseMediaDecodeTime ${time} of track ${track.id} is not a safe integer >= 0`);
  }
  for (let t = 0; t < index; t++) {
    if ((tracks[t] as FragmentTrack).id === track.id) throw new Fmp4Error(INVALID, `track ${track.id} appears twice`);
  }
}

function checkSample(sample: Sample, trackId: number): void {
  if (!isUint32(sample.duration)) {
    throw new Fmp4Error(INVALID, `a sample of track ${trackId} has a duration of ${sample.duration}: not 32-bit`);
  }
  if ((sample.compositionOffset | 0) !== sample.compositionOffset) {
    throw new Fmp4Error(
      INVALID,
      `a sample of track ${trackId} has a composition offset of ${sample.compositionOffset}: not signed 32-bit`,
    );
  }
}

function isUint32(value: number): boolean {
  return value >>> 0 === value;
}

/**
 * A buffer for `size` bytes, not zero-filled: every byte of it is written. Node's
 * Buffer.allocUnsafeSlow never hands out a slice of the shared pool, so the buffer is the
 * fragment's own; it is returned as a plain Uint8Array view.
 */
function allocate(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}
