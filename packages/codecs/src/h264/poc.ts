import { type H264SliceHeader } from './slice-header.js';
import { type H264Sps } from './sps.js';
import { H264NalType } from './nal-unit.js';

/** The picture order count of one picture. */
export interface H264PictureOrder {
  /** PicOrderCnt(CurrPic) (8-1): the smaller of the two field order counts of a frame. */
  poc: number;
  /**
   * True for an IDR picture or one with memory_management_control_operation 5: every earlier
   * picture is output before it (C.4.4), and its order count starts again from 0.
   */
  startsSequence: boolean;
}

/**
 * Decoding process for picture order count (H.264 §8.2.1), for types 0, 1 and 2. Feed it every
 * picture's first slice header in decode order; it keeps the state that carries from one picture
 * to the next (the previous reference picture's POC MSB and LSB, the previous FrameNumOffset).
 */
export class H264PocDecoder {
  // Type 0 (§8.2.1.1): of the previous reference picture.
  #prevPicOrderCntMsb = 0;
  #prevPicOrderCntLsb = 0;
  // Types 1 and 2 (§8.2.1.2, §8.2.1.3): of the previous picture.
  #prevFrameNumOffset = 0;
  #prevFrameNum = 0;

  reset(): void {
    this.#prevPicOrderCntMsb = 0;
    this.#prevPicOrderCntLsb = 0;
    this.#prevFrameNumOffset = 0;
    this.#prevFrameNum = 0;
  }

  decode(header: H264SliceHeader, sps: H264Sps): H264PictureOrder {
    const idr = header.nalType === H264NalType.IDR_SLICE;
    const reference = header.nalRefIdc !== 0;
    let top: number;
    let bottom: number;

    if (sps.picOrderCntType === 0) {
      if (idr) {
        this.#prevPicOrderCntMsb = 0;
        this.#prevPicOrderCntLsb = 0;
      }
      const maxLsb = 2 ** sps.log2MaxPicOrderCntLsb;
      const lsb = header.picOrderCntLsb ?? 0;
      const prevLsb = this.#prevPicOrderCntLsb;
      let msb = this.#prevPicOrderCntMsb;
      // (8-3): the LSB wrapped forwards or backwards.
      if (lsb < prevLsb && prevLsb - lsb >= maxLsb / 2) msb += maxLsb;
      else if (lsb > prevLsb && lsb - prevLsb > maxLsb / 2) msb -= maxLsb;
      top = msb + lsb;
      bottom = header.fieldPic ? top : top + (header.deltaPicOrderCntBottom ?? 0);
      if (reference) {
        this.#prevPicOrderCntMsb = msb;
        this.#prevPicOrderCntLsb = lsb;
      }
    } else {
      const maxFrameNum = 2 ** sps.log2MaxFrameNum;
      // (8-6), (8-11)
      let frameNumOffset = this.#prevFrameNumOffset;
      if (idr) frameNumOffset = 0;
      else if (this.#prevFrameNum > header.frameNum) frameNumOffset += maxFrameNum;

      if (sps.picOrderCntType === 1) {
        const cycle = sps.offsetsForRefFrame;
        let absFrameNum = cycle.length !== 0 ? frameNumOffset + header.frameNum : 0;
        if (!reference && absFrameNum > 0) absFrameNum--;
        let expected = 0;
        if (absFrameNum > 0) {
          let deltaPerCycle = 0;
          for (const offset of cycle) deltaPerCycle += offset;
          const cycleCount = Math.floor((absFrameNum - 1) / cycle.length);
          const frameNumInCycle = (absFrameNum - 1) % cycle.length;
          expected = cycleCount * deltaPerCycle;
          for (let i = 0; i <= frameNumInCycle; i++) expected += cycle[i] as number;
        }
        if (!reference) expected += sps.offsetForNonRefPic;
        // (8-10)
        if (!header.fieldPic) {
          top = expected + header.deltaPicOrderCnt[0];
          bottom = top + sps.offsetForTopToBottomField + header.deltaPicOrderCnt[1];
        } else if (!header.bottomField) {
          top = bottom = expected + header.deltaPicOrderCnt[0];
        } else {
          top = bottom = expected + sps.offsetForTopToBottomField + header.deltaPicOrderCnt[0];
        }
      } else {
        // (8-12): output order is decode order.
        const temp = idr ? 0 : 2 * (frameNumOffset + header.frameNum) - (reference ? 0 : 1);
        top = bottom = temp;
      }
      this.#prevFrameNumOffset = frameNumOffset;
      this.#prevFrameNum = header.frameNum;
    }

    // (8-1): a field's order count, or the smaller of a frame's two.
    let poc = header.fieldPic ? (header.bottomField ? bottom : top) : Math.min(top, bottom);
    const mmco5 = header.hasMmco5 === true;
    if (mmco5) {
      // §8.2.1: after a picture with mmco 5, its order counts become relative to itself
      // (tempPicOrderCnt), and it counts as frame_num 0 with FrameNumOffset 0.
      const topAfter = top - poc;
      poc = 0;
      this.#prevPicOrderCntMsb = 0;
      this.#prevPicOrderCntLsb = header.fieldPic && header.bottomField ? 0 : topAfter;
      this.#prevFrameNumOffset = 0;
      this.#prevFrameNum = 0;
    }
    return { poc, startsSequence: idr || mmco5 };
  }
}
