import { open } from 'node:fs/promises';
import { CamsimError, CamsimErrorCode } from '../errors.js';
import { ALAW_TO_LINEAR, linearToUlaw } from '@camgate/codecs';
import type { Clip } from './clip.js';
import { MAX_CLIP_BYTES, parseClip } from './parse-clip.js';

/**
 * The clips bundled in packages/camsim/fixtures (made by fixtures/generate.sh), and h264-pcmu and
 * h264-l16, made from h264-pcma when loaded (see {@link toPcmu}, {@link toL16}).
 */
export const CLIP_NAMES = ['h264-aac', 'h265-aac', 'h264-pcma', 'h264-pcmu', 'h264-l16'] as const;
export type ClipName = (typeof CLIP_NAMES)[number];

/** Clips made from another when loaded: the same video, the audio converted. */
const DERIVED: Partial<Record<ClipName, { from: ClipName; make: (clip: Clip) => Clip }>> = {
  'h264-pcmu': { from: 'h264-pcma', make: (clip) => toPcmu(clip, 'h264-pcmu') },
  'h264-l16': { from: 'h264-pcma', make: (clip) => toL16(clip, 'h264-l16') },
};

/**
 * Where the clips are: src/clip/ (tests, sources) and dist/clip/ (the built
 * package) are both two levels below the package root, and the package
 * publishes fixtures/.
 */
const FIXTURES = new URL('../../fixtures/', import.meta.url);

export interface LoadClipOptions {
  /** Directory to read `<name>.camclip` from (tests); the bundled fixtures by default. */
  directory?: URL;
}

/**
 * Reads and validates a bundled clip. Throws CAMSIM_INVALID_CONFIG for a name
 * that is not in {@link CLIP_NAMES}, CAMSIM_INVALID_CLIP when the file is
 * missing, too large or corrupt.
 */
export async function loadClip(name: ClipName, options: LoadClipOptions = {}): Promise<Clip> {
  if (!(CLIP_NAMES as readonly string[]).includes(name)) {
    throw new CamsimError(CamsimErrorCode.INVALID_CONFIG, `unknown clip ${name} (${CLIP_NAMES.join(', ')})`);
  }
  const derived = DERIVED[name];
  if (derived !== undefined) return derived.make(await loadClip(derived.from, options));
  const url = new URL(`${name}.camclip`, options.directory ?? FIXTURES);
  let bytes: Uint8Array;
  try {
    const file = await open(url, 'r');
    try {
      // Checked before reading: the size bounds what a corrupt or substituted file makes us allocate.
      const { size } = await file.stat();
      if (size > MAX_CLIP_BYTES) {
        throw new CamsimError(
          CamsimErrorCode.INVALID_CLIP,
          `clip ${name}: ${size} bytes is larger than ${MAX_CLIP_BYTES}`,
        );
      }
      const buffer = await file.readFile();
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } finally {
      await file.close();
    }
  } catch (err) {
    if (err instanceof CamsimError) throw err;
    throw new CamsimError(CamsimErrorCode.INVALID_CLIP, `clip ${name}: cannot read ${url.pathname}`, { cause: err });
  }
  return parseClip(bytes, name);
}

/**
 * The clip with its G.711 A-law audio as µ-law (PCMU, the other law cameras send): each A-law
 * code word expanded (G.711 Tables 1a/1b) and compressed again (G.711 §3). The same 440 Hz
 * tone, a code word per sample as before, so frames keep their sizes and times.
 */
function toPcmu(clip: Clip, name: string): Clip {
  const alawToUlaw = Uint8Array.from(ALAW_TO_LINEAR, (linear) => linearToUlaw(linear));
  return {
    ...clip,
    name,
    tracks: clip.tracks.map((track) =>
      track.codec !== 'pcma'
        ? track
        : {
            ...track,
            codec: 'pcmu',
            frames: track.frames.map((frame) => ({
              ...frame,
              data: frame.data.map((code) => alawToUlaw[code] as number),
            })),
          },
    ),
  };
}

/**
 * The clip with its G.711 A-law audio as L16 (RFC 3551 §4.5.11): each code word expanded to
 * 16-bit linear (G.711 Tables 1a/1b), big-endian, at the same 8 kHz. The same tone exactly.
 */
function toL16(clip: Clip, name: string): Clip {
  return {
    ...clip,
    name,
    tracks: clip.tracks.map((track) => {
      if (track.codec !== 'pcma') return track;
      const frames = track.frames.map((frame) => {
        const data = new Uint8Array(2 * frame.data.length);
        const view = new DataView(data.buffer);
        frame.data.forEach((code, i) => view.setInt16(2 * i, ALAW_TO_LINEAR[code] as number));
        return { ...frame, data };
      });
      return { ...track, codec: 'l16', frames };
    }),
  };
}
