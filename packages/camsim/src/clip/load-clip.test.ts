import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ALAW_TO_LINEAR,
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  splitLengthPrefixed,
  ULAW_TO_LINEAR,
} from '@camgate/codecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamsimErrorCode } from '../errors.js';
import type { Clip, ClipTrack } from './clip.js';
import { CLIP_NAMES, loadClip, type ClipName } from './load-clip.js';

interface Expected {
  video: { codec: 'h264' | 'h265'; profile: string; bFrames: boolean };
  audio: {
    codec: 'aac' | 'pcma' | 'pcmu' | 'l16';
    clockRate: number;
    channels: number;
    frames: number;
    frameBytes?: number;
  };
}

const EXPECTED: Record<ClipName, Expected> = {
  'h264-aac': {
    video: { codec: 'h264', profile: 'High', bFrames: true },
    audio: { codec: 'aac', clockRate: 48_000, channels: 2, frames: 300 },
  },
  'h265-aac': {
    video: { codec: 'h265', profile: 'Main', bFrames: true },
    audio: { codec: 'aac', clockRate: 48_000, channels: 2, frames: 300 },
  },
  'h264-pcma': {
    video: { codec: 'h264', profile: 'Main', bFrames: false },
    audio: { codec: 'pcma', clockRate: 8000, channels: 1, frames: 320, frameBytes: 160 },
  },
  'h264-pcmu': {
    video: { codec: 'h264', profile: 'Main', bFrames: false },
    audio: { codec: 'pcmu', clockRate: 8000, channels: 1, frames: 320, frameBytes: 160 },
  },
  'h264-l16': {
    video: { codec: 'h264', profile: 'Main', bFrames: false },
    audio: { codec: 'l16', clockRate: 8000, channels: 1, frames: 320, frameBytes: 320 },
  },
};

/** profile_idc (H.264 §7.3.2.1.1) or general_profile_idc (H.265 §7.3.3): the byte after the header(s). */
function profileOf(track: ClipTrack): string {
  const sps = track.config.sps!;
  if (track.codec === 'h264') return { 66: 'Baseline', 77: 'Main', 100: 'High' }[sps[1]!] ?? String(sps[1]);
  return { 1: 'Main', 2: 'Main 10' }[sps[3]! & 0x1f] ?? String(sps[3]! & 0x1f);
}

describe('bundled clips', () => {
  const clips = new Map<ClipName, Clip>();
  beforeAll(async () => {
    for (const name of CLIP_NAMES) clips.set(name, await loadClip(name));
  });

  describe.each(CLIP_NAMES)('%s', (name) => {
    const want = EXPECTED[name];

    it('is 6.4 s of one video and one audio track that loop after exactly as long', () => {
      const clip = clips.get(name)!;
      expect(clip.name).toBe(name);
      expect(clip.durationMs).toBe(6400);
      expect(
        clip.tracks.map((t) => [t.kind, t.codec, t.clockRate, t.channels, t.durationTicks, t.frames.length]),
      ).toEqual([
        ['video', want.video.codec, 90_000, undefined, 576_000, 160],
        [
          'audio',
          want.audio.codec,
          want.audio.clockRate,
          want.audio.channels,
          6.4 * want.audio.clockRate,
          want.audio.frames,
        ],
      ]);
    });

    it(`video: ${want.video.profile} profile, an IDR every 40 frames (1.6 s) starting with the first`, () => {
      const video = clips.get(name)!.tracks[0]!;
      expect(profileOf(video)).toBe(want.video.profile);
      expect(video.frames[0]!.keyframe).toBe(true);
      expect(video.frames.filter((f) => f.keyframe).map((f) => f.pts)).toEqual([0, 144_000, 288_000, 432_000]);
      expect(video.frames.some((f) => f.pts !== f.dts)).toBe(want.video.bFrames);
    });

    it('video: frames split into NAL units, parameter sets in-band before each keyframe', () => {
      const video = clips.get(name)!.tracks[0]!;
      const h264 = video.codec === 'h264';
      const typeOf = h264 ? h264NalType : h265NalType;
      const parameterSets = h264
        ? [video.config.sps, video.config.pps]
        : [video.config.vps, video.config.sps, video.config.pps];
      for (const parameterSet of parameterSets) expect(parameterSet!.length).toBeGreaterThan(3);
      const slices: ReadonlySet<number> = h264
        ? new Set([H264NalType.NON_IDR_SLICE, H264NalType.IDR_SLICE])
        : new Set([0, 1, H265NalType.IDR_W_RADL, H265NalType.IDR_N_LP]); // TRAIL_N, TRAIL_R, IDRs
      const seen = new Set<number>();
      for (const frame of video.frames) {
        const nals = splitLengthPrefixed(frame.data);
        expect(nals.reduce((n, nal) => n + 4 + nal.length, 0)).toBe(frame.data.length);
        for (const nal of nals) seen.add(typeOf(nal));
        expect(slices.has(typeOf(nals[nals.length - 1]!))).toBe(true);
        if (frame.keyframe) expect(nals.slice(0, parameterSets.length)).toEqual(parameterSets);
      }
      const expectedTypes = h264
        ? [H264NalType.NON_IDR_SLICE, H264NalType.IDR_SLICE, H264NalType.SEI, H264NalType.SPS, H264NalType.PPS]
        : [0, 1, H265NalType.IDR_N_LP, H265NalType.VPS, H265NalType.SPS, H265NalType.PPS];
      for (const type of expectedTypes) expect(seen).toContain(type);
    });

    it('audio: consecutive frames from 0, one AU or 20 ms each', () => {
      const audio = clips.get(name)!.tracks[1]!;
      const step = audio.codec === 'aac' ? 1024 : 160;
      expect(audio.frames.map((f) => [f.pts, f.dts, f.keyframe])).toEqual(
        audio.frames.map((_, i) => [i * step, i * step, true]),
      );
      if (want.audio.frameBytes !== undefined) {
        expect(new Set(audio.frames.map((f) => f.data.length))).toEqual(new Set([want.audio.frameBytes]));
      }
      // AAC-LC, 48 kHz, stereo: the 2-byte AudioSpecificConfig cameras send.
      if (audio.codec === 'aac') expect([...audio.config.audioSpecificConfig!]).toEqual([0x11, 0x90]);
    });
  });

  it('h264-aac reorders frames with a B-pyramid: PTS runs up to 2 frames ahead of DTS', () => {
    const video = clips.get('h264-aac')!.tracks[0]!;
    expect(video.frames.slice(0, 5).map((f) => [f.pts / 3600, f.dts / 3600])).toEqual([
      [0, -2],
      [4, -1],
      [2, 0],
      [1, 1],
      [3, 2],
    ]);
  });

  it('h264-pcmu is h264-pcma with its A-law tone as µ-law: the same video, the same sound within a µ-law step', () => {
    const [pcmaVideo, pcma] = clips.get('h264-pcma')!.tracks as [ClipTrack, ClipTrack];
    const [pcmuVideo, pcmu] = clips.get('h264-pcmu')!.tracks as [ClipTrack, ClipTrack];
    expect(pcmuVideo.frames.every((f, i) => Buffer.compare(f.data, pcmaVideo.frames[i]!.data) === 0)).toBe(true);
    expect(pcmu.frames.map((f) => f.dts)).toEqual(pcma.frames.map((f) => f.dts));
    const worst = pcmu.frames.reduce((max, frame, i) => {
      const alaw = pcma.frames[i]!.data;
      return frame.data.reduce(
        (m, code, k) => Math.max(m, Math.abs(ULAW_TO_LINEAR[code]! - ALAW_TO_LINEAR[alaw[k]!]!)),
        max,
      );
    }, 0);
    // The tone peaks at 0.5 of full scale (16384): µ-law steps there are 512 (segment 6), A-law's 512 too.
    expect(worst).toBeLessThanOrEqual(512);
  });

  it('h264-l16 is h264-pcma with its A-law tone expanded to 16-bit big-endian: the same samples exactly', () => {
    const pcma = clips.get('h264-pcma')!.tracks[1]!;
    const l16 = clips.get('h264-l16')!.tracks[1]!;
    const mismatched = l16.frames.filter((frame, i) => {
      const alaw = pcma.frames[i]!.data;
      const view = new DataView(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
      return alaw.some((code, k) => view.getInt16(2 * k) !== ALAW_TO_LINEAR[code]);
    });
    expect(mismatched).toEqual([]);
  });
});

describe('loadClip errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camclip-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const directory = () => pathToFileURL(`${dir}/`);

  it('rejects an unknown clip name with CAMSIM_INVALID_CONFIG', async () => {
    await expect(loadClip('h266-opus' as ClipName)).rejects.toMatchObject({ code: CamsimErrorCode.INVALID_CONFIG });
  });

  it('reports a missing file as CAMSIM_INVALID_CLIP', async () => {
    await expect(loadClip('h264-aac', { directory: directory() })).rejects.toMatchObject({
      code: CamsimErrorCode.INVALID_CLIP,
    });
  });

  it('reports a corrupt file as CAMSIM_INVALID_CLIP', async () => {
    await writeFile(join(dir, 'h265-aac.camclip'), 'CAMCLIP\0 but not really');
    await expect(loadClip('h265-aac', { directory: directory() })).rejects.toMatchObject({
      code: CamsimErrorCode.INVALID_CLIP,
    });
  });

  it('refuses a file that is not the clip it is named after', async () => {
    await writeFile(
      join(dir, 'h264-pcma.camclip'),
      await readFile(new URL('../../fixtures/h264-aac.camclip', import.meta.url)),
    );
    await expect(loadClip('h264-pcma', { directory: directory() })).rejects.toMatchObject({
      code: CamsimErrorCode.INVALID_CLIP,
    });
  });
});
