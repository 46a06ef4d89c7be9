// Builds .camclip files for parser tests: a small valid clip to mutate, and the writer.
/** A track as it appears in the JSON header; loosely typed so tests can corrupt it. */
export interface TestTrack {
  kind: unknown;
  codec: unknown;
  clockRate: unknown;
  channels?: unknown;
  config: Record<string, unknown>;
  durationTicks: unknown;
  frames: unknown[][];
}

export interface TestClip {
  header: { name: unknown; tracks: TestTrack[] } & Record<string, unknown>;
  /** Frame payloads per track; their sizes are written into the header by {@link writeTestClip}. */
  data: Uint8Array[][];
  version: number;
  /** Overrides the header length field. */
  headerLength?: number;
  /** Bytes appended after the frames. */
  trailing?: Uint8Array;
  /** Keep the sizes in the header instead of writing the data's. */
  keepSizes?: boolean;
}

const MAGIC = new TextEncoder().encode('CAMCLIP\0');

export const b64 = (bytes: readonly number[]): string => Buffer.from(bytes).toString('base64');

/** 4-byte big-endian lengths before each NAL unit. */
export function lengthPrefixed(...nals: ReadonlyArray<readonly number[]>): Uint8Array {
  return Uint8Array.from(nals.flatMap((nal) => [0, 0, nal.length >>> 8, nal.length & 0xff, ...nal]));
}

export const H264_SPS = [0x67, 0x42, 0xc0, 0x1e, 0xd9];
export const H264_PPS = [0x68, 0xce, 0x3c, 0x80];
export const H264_IDR = [0x65, 0x88, 0x84, 0x00];
export const H264_P = [0x41, 0x9a, 0x02];
export const H265_VPS = [0x40, 0x01, 0x0c, 0x01];
export const H265_SPS = [0x42, 0x01, 0x01, 0x01];
export const H265_PPS = [0x44, 0x01, 0xc1, 0x72];
export const H265_IDR = [0x28, 0x01, 0xaf, 0x00]; // IDR_N_LP
export const H265_TRAIL = [0x02, 0x01, 0xd0, 0x00]; // TRAIL_R

/** 80 ms: two 25 fps H.264 frames (IDR, P) and four 20 ms PCMA frames. */
export function tinyH264PcmaClip(): TestClip {
  return {
    version: 1,
    header: {
      name: 'tiny',
      tracks: [
        {
          kind: 'video',
          codec: 'h264',
          clockRate: 90_000,
          config: { sps: b64(H264_SPS), pps: b64(H264_PPS) },
          durationTicks: 7200,
          frames: [
            [0, 0, 0, 1],
            [3600, 3600, 0, 0],
          ],
        },
        {
          kind: 'audio',
          codec: 'pcma',
          clockRate: 8000,
          channels: 1,
          config: {},
          durationTicks: 640,
          frames: [0, 160, 320, 480].map((t) => [t, t, 0, 1]),
        },
      ],
    },
    data: [
      [lengthPrefixed(H264_SPS, H264_PPS, H264_IDR), lengthPrefixed(H264_P)],
      [0, 1, 2, 3].map((i) => new Uint8Array(160).fill(0xd5 + i)),
    ],
  };
}

/** Two 25 fps H.265 frames (VPS SPS PPS IDR, TRAIL_R). */
export function tinyH265Clip(): TestClip {
  return {
    version: 1,
    header: {
      name: 'tiny',
      tracks: [
        {
          kind: 'video',
          codec: 'h265',
          clockRate: 90_000,
          config: { vps: b64(H265_VPS), sps: b64(H265_SPS), pps: b64(H265_PPS) },
          durationTicks: 7200,
          frames: [
            [0, 0, 0, 1],
            [3600, 3600, 0, 0],
          ],
        },
      ],
    },
    data: [[lengthPrefixed(H265_VPS, H265_SPS, H265_PPS, H265_IDR), lengthPrefixed(H265_TRAIL)]],
  };
}

/** Two AAC-LC 48 kHz stereo AUs. */
export function tinyAacClip(): TestClip {
  return {
    version: 1,
    header: {
      name: 'tiny',
      tracks: [
        {
          kind: 'audio',
          codec: 'aac',
          clockRate: 48_000,
          channels: 2,
          config: { audioSpecificConfig: b64([0x11, 0x90]) },
          durationTicks: 2048,
          frames: [
            [0, 0, 0, 1],
            [1024, 1024, 0, 1],
          ],
        },
      ],
    },
    data: [[Uint8Array.of(0x21, 0x10, 0x05, 0x00), Uint8Array.of(0x21, 0x10, 0x05, 0x01)]],
  };
}

/** Writes each frame's data size into the header. */
export function syncSizes(clip: TestClip): TestClip {
  if (!Array.isArray(clip.header.tracks)) return clip;
  for (const [t, track] of clip.header.tracks.entries()) {
    for (const [k, frame] of track.frames.entries()) frame[2] = clip.data[t]?.[k]?.length ?? frame[2];
  }
  return clip;
}

/** The file: magic, version, header length, the JSON header, then every track's frames in order. */
export function writeTestClip(clip: TestClip): Uint8Array {
  if (clip.keepSizes !== true) syncSizes(clip);
  const json = new TextEncoder().encode(JSON.stringify(clip.header));
  const prefix = new Uint8Array(16);
  prefix.set(MAGIC);
  const view = new DataView(prefix.buffer);
  view.setUint32(8, clip.version);
  view.setUint32(12, clip.headerLength ?? json.length);
  const parts = [prefix, json, ...clip.data.flat(), clip.trailing ?? new Uint8Array(0)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
