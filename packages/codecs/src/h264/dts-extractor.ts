import { ParameterSetStore } from '../common/parameter-set-store.js';
import { DtsTimeline } from '../dts/dts-timeline.js';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { H264NalType, h264NalType } from './nal-unit.js';
import { H264PocDecoder } from './poc.js';
import { type H264Pps, parseH264Pps } from './pps.js';
import { type H264ParameterSetLookup, parseH264SliceHeader } from './slice-header.js';
import { type H264Sps, h264ProfileHasNoReordering, parseH264Sps } from './sps.js';

/**
 * Derives the DTS of H.264 access units from their PTS, which is all RTP carries: picture order
 * counts (§8.2.1) put the pictures in presentation order, and {@link DtsTimeline} turns that order
 * into decode times. The reorder depth comes from the SPS (VUI max_num_reorder_frames; 0 for
 * Baseline, intra-only profiles and POC type 2, whose output order is decode order), or is learned.
 *
 * See DtsTimeline for the guarantees: within a coded video sequence the DTS never decreases and
 * never exceeds the PTS; at a constant frame rate it steps evenly and equals the encoder's DTS up
 * to a constant offset.
 */
export class H264DtsExtractor {
  readonly #sps = new ParameterSetStore<H264Sps>(parseH264Sps, (sps) => sps.spsId);
  readonly #pps = new ParameterSetStore<H264Pps>(parseH264Pps, (pps) => pps.ppsId);
  readonly #lookup: H264ParameterSetLookup = {
    sps: (id) => this.#sps.get(id),
    pps: (id) => this.#pps.get(id),
  };
  readonly #poc = new H264PocDecoder();
  readonly #timeline = new DtsTimeline();
  #started = false;

  /** `initial`: parameter sets known before the stream starts (SDP sprop-parameter-sets). */
  constructor(initial?: { sps?: Uint8Array | undefined; pps?: Uint8Array | undefined }) {
    if (initial?.sps !== undefined) this.#sps.learn(initial.sps);
    if (initial?.pps !== undefined) this.#pps.learn(initial.pps);
  }

  /**
   * `au`: the NAL units of one access unit in decode order (SPS and PPS in it are learned);
   * `pts`: its presentation time, 90 kHz. Returns its DTS. Throws CodecsError when it cannot:
   * CODECS_MISSING_PARAMETER_SET, CODECS_NO_RANDOM_ACCESS_POINT until the first IDR,
   * CODECS_INVALID_ACCESS_UNIT without a slice, CODECS_REORDER_EXCEEDED (drop that access unit),
   * or the parsers' codes for a malformed parameter set or slice header.
   */
  extract(au: readonly Uint8Array[], pts: number): number {
    if (!Number.isSafeInteger(pts)) {
      throw new CodecsError(CodecsErrorCode.INVALID_TIMESTAMP, `PTS ${pts} is not a safe integer`);
    }
    let slice: Uint8Array | undefined;
    for (const nal of au) {
      const type = h264NalType(nal);
      if (type === H264NalType.SPS) this.#sps.learn(nal);
      else if (type === H264NalType.PPS) this.#pps.learn(nal);
      else if (slice === undefined && isSlice(type)) slice = nal;
    }
    if (slice === undefined) {
      throw new CodecsError(CodecsErrorCode.INVALID_ACCESS_UNIT, 'access unit holds no coded slice');
    }
    const header = parseH264SliceHeader(slice, this.#lookup);
    if (!this.#started && header.nalType !== H264NalType.IDR_SLICE) {
      throw new CodecsError(CodecsErrorCode.NO_RANDOM_ACCESS_POINT, 'waiting for an IDR access unit');
    }
    // parseH264SliceHeader found both.
    const sps = this.#sps.get((this.#pps.get(header.ppsId) as H264Pps).spsId) as H264Sps;
    const order = this.#poc.decode(header, sps);
    this.#started = true;
    return this.#timeline.push({
      pts,
      poc: order.poc,
      startsSequence: order.startsSequence,
      reorderDepth: reorderDepth(sps),
      frameDurationHint: sps.fps === undefined ? undefined : 90_000 / sps.fps,
    });
  }

  /** Forgets timing and picture order state (not the parameter sets): the next access unit must be an IDR. */
  reset(): void {
    this.#started = false;
    this.#poc.reset();
    this.#timeline.reset();
  }
}

function isSlice(type: number): boolean {
  // 2: slice data partition A, which starts with the slice header.
  return type === H264NalType.NON_IDR_SLICE || type === H264NalType.IDR_SLICE || type === 2;
}

/** Pictures the stream may reorder, or undefined when it does not say (E.2.1). */
function reorderDepth(sps: H264Sps): number | undefined {
  let frames: number | undefined;
  if (sps.maxNumReorderFrames !== undefined) frames = sps.maxNumReorderFrames;
  else if (h264ProfileHasNoReordering(sps) || sps.picOrderCntType === 2) frames = 0;
  if (frames === undefined || sps.frameMbsOnly || frames === 0) return frames;
  // Field pictures are pictures of their own here: a reordered frame is two fields, plus the pairing.
  return 2 * frames + 1;
}
