import { type H265SliceHeader } from './slice-header.js';
import { type H265Sps } from './sps.js';

/** RADL_N, RADL_R, RASL_N, RASL_R: leading pictures (H.265 table 7-1). */
export function isH265LeadingPicture(nalType: number): boolean {
  return nalType >= 6 && nalType <= 9;
}

/** RASL_N, RASL_R: leading pictures that refer to pictures before their IRAP. */
export function isH265Rasl(nalType: number): boolean {
  return nalType === 8 || nalType === 9;
}

/** Sub-layer non-reference pictures: the even VCL types up to 14 (table 7-1). */
function isSubLayerNonReference(nalType: number): boolean {
  return nalType <= 14 && nalType % 2 === 0;
}

/**
 * Decoding process for picture order count (H.265 §8.3.1). Feed it the first slice segment header
 * of every picture in decode order.
 */
export class H265PocDecoder {
  /** PicOrderCntVal of prevTid0Pic: the previous TemporalId 0 picture that is not RASL, RADL or SLNR. */
  #prevTid0Poc = 0;

  reset(): void {
    this.#prevTid0Poc = 0;
  }

  /** `noRaslOutputFlag`: the picture is an IRAP that starts a coded video sequence (IDR, BLA, first CRA). */
  decode(header: H265SliceHeader, sps: H265Sps, noRaslOutputFlag: boolean): number {
    const maxLsb = 2 ** sps.log2MaxPicOrderCntLsb;
    const lsb = header.picOrderCntLsb ?? 0;
    let msb = 0;
    if (!noRaslOutputFlag) {
      // (8-1); two's complement `&` gives the LSB of a negative POC as the spec means it.
      const prevLsb = this.#prevTid0Poc & (maxLsb - 1);
      const prevMsb = this.#prevTid0Poc - prevLsb;
      msb = prevMsb;
      if (lsb < prevLsb && prevLsb - lsb >= maxLsb / 2) msb += maxLsb;
      else if (lsb > prevLsb && lsb - prevLsb > maxLsb / 2) msb -= maxLsb;
    }
    const poc = msb + lsb;
    if (header.temporalId === 0 && !isH265LeadingPicture(header.nalType) && !isSubLayerNonReference(header.nalType)) {
      this.#prevTid0Poc = poc;
    }
    return poc;
  }
}
