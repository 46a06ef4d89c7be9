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
