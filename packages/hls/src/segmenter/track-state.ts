import { Rendition } from '../store/rendition.js';
import type { HlsTrack, RenditionName } from '../types.js';
import { StagedSamples } from './staged-samples.js';

/** What the segmenter keeps per rendition: its timeline offset, cadence and the frames of the open part. */
export class TrackState extends StagedSamples {
  readonly rendition: Rendition;
  track: HlsTrack;
  initUri: string | undefined;
  /** The codec configuration changed: the next segment gets a new init segment. */
  configChanged = false;
  /** Input ticks + offset = output ticks. */
  offset = 0;
  /**
   * Re-map the input timeline at the next frame: `epoch` at the start and after a reconnect (all
   * tracks onto the new epoch), `continue` after a timestamp jump within a session (this track
   * resumes exactly where it ended).
   */
  rebase: 'epoch' | 'continue' | undefined = 'epoch';
  /** End of the last packaged sample, output ticks (-1 before any). */
  lastEnd = -1;
  lastInputDts: number | undefined;
  /** Video: the latest frame interval. Audio: the codec's frame duration. In ticks. */
  cadence = 0;
  sampleBytes = 0;
  fragmentSequence = 0;

  constructor(
    name: RenditionName,
    track: HlsTrack,
    firstMsn: number,
    discontinuitySequence: number,
    now: () => number,
  ) {
    super();
    this.rendition = new Rendition(name, firstMsn, discontinuitySequence, now);
    this.track = track;
  }

  get clockRate(): number {
    return this.track.clockRate;
  }

  /** End of what is packaged or pending, output ticks (-1 before any). */
  get end(): number {
    const last = this.samples.at(-1);
    return last === undefined ? this.lastEnd : last.dts + this.cadence;
  }
}

/** Two codec configurations with the same fields and bytes. */
export function sameConfig(a: HlsTrack['config'], b: HlsTrack['config']): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x = (a as unknown as Record<string, unknown>)[key];
    const y = (b as unknown as Record<string, unknown>)[key];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (Buffer.compare(x, y) !== 0) return false;
    } else if (x !== y) return false;
  }
  return true;
}
