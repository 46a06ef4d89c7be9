import { isCodedError } from '@camgate/bits';
import { ParameterSetStore } from '../common/parameter-set-store.js';
import { DtsTimeline } from '../dts/dts-timeline.js';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { H265NalType, h265NalType, isH265RandomAccess } from './nal-unit.js';
import { H265PocDecoder, isH265Rasl } from './poc.js';
import { type H265Pps, parseH265Pps } from './pps.js';
import { type H265ParameterSetLookup, parseH265SliceHeader } from './slice-header.js';
import { type H265Sps, parseH265Sps } from './sps.js';
import { type H265Vps, parseH265Vps } from './vps.js';

/**
 * Derives the DTS of H.265 access units from their PTS: picture order counts (§8.3.1) put the
 * pictures in presentation order, sps_max_num_reorder_pics (always coded) says how far the
 * stream reorders, and {@link DtsTimeline} turns that into decode times. Open GOPs work: RASL
 * pictures after a CRA in the middle of the stream keep their place, and those of the CRA that
 * decoding starts at, which cannot be decoded, are refused with CODECS_NO_RANDOM_ACCESS_POINT.
 */
export class H265DtsExtractor {
  readonly #vps = new ParameterSetStore<H265Vps>(parseH265Vps, (vps) => vps.vpsId);
  readonly #sps = new ParameterSetStore<H265Sps>(parseH265Sps, (sps) => sps.spsId);
  readonly #pps = new ParameterSetStore<H265Pps>(parseH265Pps, (pps) => pps.ppsId);
  readonly #lookup: H265ParameterSetLookup = {
    sps: (id) => this.#sps.get(id),
    pps: (id) => this.#pps.get(id),
  };
  readonly #poc = new H265PocDecoder();
  readonly #timeline = new DtsTimeline();
  #started = false;
  /** An end of sequence NAL unit was seen: the next picture starts a coded video sequence (§7.4.2.4.4). */
  #afterEndOfSequence = false;
  /** The last IRAP started a coded video sequence, so its RASL pictures cannot be decoded (§8.1.3). */
  #skipRasl = false;

  /** `initial`: parameter sets known before the stream starts (SDP sprop-vps/sps/pps). */
  constructor(initial?: { vps?: Uint8Array | undefined; sps?: Uint8Array | undefined; pps?: Uint8Array | undefined }) {
    if (initial?.vps !== undefined) this.#learnVps(initial.vps);
    if (initial?.sps !== undefined) this.#sps.learn(initial.sps);
    if (initial?.pps !== undefined) this.#pps.learn(initial.pps);
  }

  /**
   * `au`: the NAL units of one access unit in decode order (VPS, SPS and PPS in it are learned);
   * `pts`: its presentation time, 90 kHz. Returns its DTS; throws CodecsError as
   * H264DtsExtractor.extract does.
   */
  extract(au: readonly Uint8Array[], pts: number): number {
    if (!Number.isSafeInteger(pts)) {
      throw new CodecsError(CodecsErrorCode.INVALID_TIMESTAMP, `PTS ${pts} is not a safe integer`);
    }
    let slice: Uint8Array | undefined;
    let endOfSequence = false;
    for (const nal of au) {
      const type = h265NalType(nal);
      if (type === H265NalType.VPS) this.#learnVps(nal);
      else if (type === H265NalType.SPS) this.#sps.learn(nal);
      else if (type === H265NalType.PPS) this.#pps.learn(nal);
      else if (type === H265NalType.END_OF_SEQUENCE || type === H265NalType.END_OF_BITSTREAM) endOfSequence = true;
      else if (slice === undefined && type <= 31) slice = nal;
    }
    if (slice === undefined) {
      if (endOfSequence) this.#afterEndOfSequence = true;
      throw new CodecsError(CodecsErrorCode.INVALID_ACCESS_UNIT, 'access unit holds no slice segment');
    }
    const header = parseH265SliceHeader(slice, this.#lookup);
    const type = header.nalType;
    const irap = isH265RandomAccess(type);
    if (!this.#started && !irap) {
      throw new CodecsError(CodecsErrorCode.NO_RANDOM_ACCESS_POINT, 'waiting for an IRAP access unit');
    }
    // §8.1.3: IDR and BLA pictures, and a CRA that is first or follows an end of sequence.
    const noRaslOutputFlag = irap && (type < H265NalType.CRA_NUT || !this.#started || this.#afterEndOfSequence);
    if (irap) this.#skipRasl = noRaslOutputFlag;
    else if (isH265Rasl(type) && this.#skipRasl) {
      throw new CodecsError(
        CodecsErrorCode.NO_RANDOM_ACCESS_POINT,
        'RASL picture of the CRA that decoding started at: it refers to pictures before it',
      );
    }
    // parseH265SliceHeader found both.
    const sps = this.#sps.get((this.#pps.get(header.ppsId) as H265Pps).spsId) as H265Sps;
    const poc = this.#poc.decode(header, sps, noRaslOutputFlag);
    this.#started = true;
    this.#afterEndOfSequence = endOfSequence;
    const fps = sps.fps ?? this.#vps.get(sps.vpsId)?.fps;
    return this.#timeline.push({
      pts,
      poc,
      startsSequence: noRaslOutputFlag,
      reorderDepth: sps.maxNumReorderPics,
      frameDurationHint: fps === undefined ? undefined : 90_000 / fps,
    });
  }

  /** Forgets timing and picture order state (not the parameter sets): the next access unit must be an IRAP. */
  reset(): void {
    this.#started = false;
    this.#afterEndOfSequence = false;
    this.#skipRasl = false;
    this.#poc.reset();
    this.#timeline.reset();
  }

  #learnVps(nal: Uint8Array): void {
    try {
      this.#vps.learn(nal);
    } catch (err) {
      // The VPS only offers a frame rate hint here: a multi-layer or damaged one must not stop the stream.
      if (!isCodedError(err)) throw err;
    }
  }
}
