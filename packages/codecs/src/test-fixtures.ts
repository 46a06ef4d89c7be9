import { readFileSync } from 'node:fs';
import { splitAnnexB } from './nal/annexb.js';

/** Test vectors from real encoders; testdata/README.md says how each was made. */

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../testdata/${name}`, import.meta.url)));
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
}

/** What ffprobe said about a stream when the vectors were made (generate.sh). */
export interface VideoProbe {
  codec_name: string;
  profile: string;
  level: number;
  width: number;
  height: number;
  r_frame_rate: string;
  pix_fmt: string;
  has_b_frames: number;
  mp4_codec_tag: string;
  /** The first bytes of the avcC or hvcC box ffmpeg's MP4 muxer wrote. */
  mp4_decoder_config_hex: string;
}

export function videoProbe(stream: string): VideoProbe {
  return JSON.parse(fixtureText(`${stream}.probe.json`)) as VideoProbe;
}

/** ffprobe's per-packet timestamps from the MP4 (90 kHz), in decode order. */
export function packets(stream: string): Array<{ pts: number; dts: number; key: boolean }> {
  return fixtureText(`${stream}.packets.csv`)
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dts, flags] = line.split(',');
      return { pts: Number(pts), dts: Number(dts), key: flags?.startsWith('K') === true };
    });
}

/**
 * Splits an Annex-B elementary stream into access units (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4):
 * a new one starts at a NAL unit that can only come first (AUD, parameter sets, prefix SEI) or
 * at a slice that starts a picture, once the current one has a slice.
 */
export function accessUnits(stream: Uint8Array, codec: 'h264' | 'h265'): Uint8Array[][] {
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let hasSlice = false;
  for (const nal of splitAnnexB(stream)) {
    let startsAu: boolean;
    let isSlice: boolean;
    if (codec === 'h264') {
      const type = (nal[0] as number) & 0x1f;
      isSlice = type === 1 || type === 5;
      // first_mb_in_slice == 0: its ue(v) code is the single bit 1.
      startsAu = [6, 7, 8, 9].includes(type) || (isSlice && ((nal[1] as number) & 0x80) !== 0);
    } else {
      const type = ((nal[0] as number) >> 1) & 0x3f;
      isSlice = type <= 31;
      // first_slice_segment_in_pic_flag is the first bit after the 2-byte header.
      startsAu = [32, 33, 34, 35, 39].includes(type) || (isSlice && ((nal[2] as number) & 0x80) !== 0);
    }
    if (startsAu && hasSlice) {
      units.push(current);
      current = [];
      hasSlice = false;
    }
    current.push(nal);
    if (isSlice) hasSlice = true;
  }
  if (current.length > 0) units.push(current);
  return units;
}

/** The first NAL unit of a type in a stream. */
export function firstNal(stream: Uint8Array, codec: 'h264' | 'h265', type: number): Uint8Array {
  const nal = splitAnnexB(stream).find((n) =>
    codec === 'h264' ? ((n[0] as number) & 0x1f) === type : (((n[0] as number) >> 1) & 0x3f) === type,
  );
  if (nal === undefined) throw new Error(`no NAL unit of type ${type}`);
  return nal;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
