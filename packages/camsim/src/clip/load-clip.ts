import { open } from 'node:fs/promises';
import { CamsimError, CamsimErrorCode } from '../errors.js';
import type { Clip } from './clip.js';
import { MAX_CLIP_BYTES, parseClip } from './parse-clip.js';

/** The clips bundled in packages/camsim/fixtures (made by fixtures/generate.sh). */
export const CLIP_NAMES = ['h264-aac', 'h265-aac', 'h264-pcma'] as const;
export type ClipName = (typeof CLIP_NAMES)[number];

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
