import { errors } from '../errors.js';

/**
 * Cuts ffmpeg's Annex B H.264 output (`-f h264` on a pipe: chunks of any size) into access units,
 * as they complete. A unit starts at a NAL unit that can only open one (access unit delimiter,
 * SPS, PPS, SEI: H.264 §7.4.1.2.3) or at the first slice of a picture (first_mb_in_slice == 0,
 * ue(v) "1") once the current unit has a slice. A unit is complete when the next one starts: ffmpeg
 * is told to open each with a delimiter, so the one frame it holds back is one frame interval.
 */

/** One access unit, its NAL units copied out of the pipe's chunks. */
export interface H264AccessUnit {
  /** NAL units without start codes, access unit delimiters left out. */
  nals: Uint8Array[];
  /** Has an IDR slice. */
  keyframe: boolean;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
}

/** 8 MiB held at most while a NAL unit is incomplete: a frame beyond it is not a camera picture. */
export const MAX_SPLITTER_BUFFER_BYTES = 8 * 1024 * 1024;
/** 256 NAL units per access unit, as the RTP depacketizers allow. */
const MAX_UNIT_NALS = 256;

const NAL_SLICE = 1;
const NAL_IDR = 5;
const NAL_SEI = 6;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;

export class H264AccessUnitSplitter {
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  /** Where the first start code's payload begins in the buffer (-1 before any start code). */
  #nalStart = -1;
  /** Where to continue searching for the next start code. */
  #scan = 0;
  #unit: H264AccessUnit = emptyUnit();
  #hasSlice = false;

  /** Adds bytes from the pipe; returns the access units they completed. Throws TRANSCODE_OUTPUT on a runaway NAL unit. */
  push(chunk: Uint8Array): H264AccessUnit[] {
    this.#append(chunk);
    const units: H264AccessUnit[] = [];
    const data = this.#buffer;
    let i = Math.max(this.#scan, 0);
    while (i + 2 < this.#length) {
      if ((data[i + 2] ?? 0) > 1) {
        i += 3;
        continue;
      }
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
        if (this.#nalStart >= 0) {
          // Trailing zero bytes belong to the next start code (a 4-byte one), not to the NAL unit.
          let end = i;
          while (end > this.#nalStart && data[end - 1] === 0) end--;
          if (end > this.#nalStart) this.#nal(data.slice(this.#nalStart, end), units);
        }
        this.#nalStart = i + 3;
        i += 3;
      } else i++;
    }
    this.#scan = i;
    this.#compact();
    return units;
  }

  /** The access unit in progress, when the output ended (ffmpeg exited): it is complete. */
  flush(): H264AccessUnit[] {
    const units: H264AccessUnit[] = [];
    if (this.#nalStart >= 0 && this.#length > this.#nalStart) {
      let end = this.#length;
      while (end > this.#nalStart && this.#buffer[end - 1] === 0) end--;
      if (end > this.#nalStart) this.#nal(this.#buffer.slice(this.#nalStart, end), units);
    }
    if (this.#hasSlice) units.push(this.#unit);
    this.#reset();
    return units;
  }

  #reset(): void {
    this.#length = 0;
    this.#nalStart = -1;
    this.#scan = 0;
    this.#unit = emptyUnit();
    this.#hasSlice = false;
  }

  #nal(nal: Uint8Array, units: H264AccessUnit[]): void {
    const type = (nal[0] ?? 0) & 0x1f;
    const slice = type === NAL_SLICE || type === NAL_IDR || type === 2;
    const opens =
      type === NAL_AUD || type === NAL_SPS || type === NAL_PPS || type === NAL_SEI || (type >= 14 && type <= 18);
    const firstSlice = slice && ((nal[1] ?? 0) & 0x80) !== 0;
    if ((opens || firstSlice) && this.#hasSlice) {
      units.push(this.#unit);
      this.#unit = emptyUnit();
      this.#hasSlice = false;
    }
    if (slice || type === 3 || type === 4) this.#hasSlice = true;
    if (type === NAL_AUD) return;
    if (type === NAL_IDR) this.#unit.keyframe = true;
    if (type === NAL_SPS) this.#unit.sps = nal;
    if (type === NAL_PPS) this.#unit.pps = nal;
    if (this.#unit.nals.length >= MAX_UNIT_NALS)
      throw errors.transcodeFailed(`an access unit of more than ${MAX_UNIT_NALS} NAL units`);
    this.#unit.nals.push(nal);
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > MAX_SPLITTER_BUFFER_BYTES)
      throw errors.transcodeFailed(`a NAL unit of more than ${MAX_SPLITTER_BUFFER_BYTES} bytes`);
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.min(MAX_SPLITTER_BUFFER_BYTES, Math.max(needed, this.#buffer.length * 2)));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
  }

  /** Drops the bytes of NAL units already handed out (keeps the one in progress). */
  #compact(): void {
    // Keep 3 bytes before the scan point: a start code may straddle two chunks.
    const keepFrom =
      this.#nalStart >= 0 ? Math.min(this.#nalStart, Math.max(0, this.#scan - 3)) : Math.max(0, this.#scan - 3);
    if (keepFrom === 0) return;
    this.#buffer.copyWithin(0, keepFrom, this.#length);
    this.#length -= keepFrom;
    this.#scan -= keepFrom;
    if (this.#nalStart >= 0) this.#nalStart -= keepFrom;
  }
}

function emptyUnit(): H264AccessUnit {
  return { nals: [], keyframe: false, sps: undefined, pps: undefined };
}

/**
 * 4-byte length-prefixed NAL units (the RTSP client's frames) as Annex B with 4-byte start codes:
 * what ffmpeg's raw H.264/H.265 demuxers read. Undefined when a length runs past the data.
 */
export function annexBOf(data: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(data.length);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at + 4 <= data.length) {
    const size = view.getUint32(at);
    if (size === 0 || at + 4 + size > data.length) return undefined;
    out[at] = 0;
    out[at + 1] = 0;
    out[at + 2] = 0;
    out[at + 3] = 1;
    out.set(data.subarray(at + 4, at + 4 + size), at + 4);
    at += 4 + size;
  }
  return at === data.length ? out : undefined;
}
