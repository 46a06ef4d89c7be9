import { H264NalType } from '@camgate/codecs';
import { RtpErrorCode } from '../errors.js';
import { VideoDepacketizer, type DepacketizerSink, type VideoAccessUnit } from './video-depacketizer.js';

/** RTP payload types of RFC 6184 §5.2 beyond single NAL units (1-23). */
const STAP_A = 24;
const STAP_B = 25;
const MTAP16 = 26;
const MTAP24 = 27;
const FU_A = 28;
const FU_B = 29;

/**
 * H.264 RTP depacketizer, RFC 6184 non-interleaved mode (packetization-mode 0
 * and 1): single NAL unit packets, STAP-A and FU-A. Interleaved-mode packets
 * (STAP-B, MTAP, FU-B) are counted as unsupported and dropped.
 */
export class H264Depacketizer extends VideoDepacketizer {
  protected readonly parameterSetTypes = [H264NalType.SPS, H264NalType.PPS] as const;
  readonly #fuHeader = new Uint8Array(1);

  constructor(sink: DepacketizerSink<VideoAccessUnit>, parameterSets: { sps?: Uint8Array; pps?: Uint8Array } = {}) {
    super(
      sink,
      [parameterSets.sps, parameterSets.pps].filter((x) => x !== undefined),
    );
  }

  protected nalTypeOf(firstByte: number): number {
    return firstByte & 0x1f;
  }

  protected isPicture(type: number): boolean {
    return type >= 1 && type <= 5;
  }

  protected isRandomAccess(type: number): boolean {
    return type === H264NalType.IDR_SLICE;
  }

  protected isAccessUnitDelimiter(type: number): boolean {
    return type === H264NalType.ACCESS_UNIT_DELIMITER;
  }

  protected parsePayload(data: Uint8Array, start: number, end: number): void {
    const type = (data[start] as number) & 0x1f;
    if (type <= 23) {
      // Single NAL unit packet (§5.6). Type 0 is how Annex-B-wrapped payloads look; the writer splits them.
      this.writeNal(data, start, end);
    } else if (type === STAP_A) {
      this.#stapA(data, start + 1, end);
    } else if (type === FU_A) {
      this.#fuA(data, start, end);
    } else {
      const name =
        { [STAP_B]: 'STAP-B', [MTAP16]: 'MTAP16', [MTAP24]: 'MTAP24', [FU_B]: 'FU-B' }[type] ?? `type ${type}`;
      this.error(RtpErrorCode.UNSUPPORTED_PACKETIZATION, `H.264 ${name} packets are not supported`);
    }
  }

  /** STAP-A (§5.7.1): 16-bit size + NAL unit, repeated. */
  #stapA(data: Uint8Array, from: number, end: number): void {
    let at = from;
    while (at < end) {
      if (at + 2 > end) {
        this.error(RtpErrorCode.INVALID_AGGREGATION, 'STAP-A ends inside a size field');
        return;
      }
      const size = ((data[at] as number) << 8) | (data[at + 1] as number);
      at += 2;
      if (size === 0) {
        // Zero sizes are tolerated only as trailing padding (gortsplib).
        if (!data.subarray(at, end).every((b) => b === 0)) {
          this.error(RtpErrorCode.INVALID_AGGREGATION, 'STAP-A holds an empty NAL unit');
        }
        return;
      }
      if (at + size > end) {
        this.error(RtpErrorCode.INVALID_AGGREGATION, `STAP-A NAL unit of ${size} bytes overruns the packet`);
        return;
      }
      this.writeNal(data, at, at + size);
      at += size;
    }
  }

  /** FU-A (§5.8): indicator (F, NRI, 28) + header (S, E, R, type) + fragment. */
  #fuA(data: Uint8Array, start: number, end: number): void {
    if (end - start < 2) {
      this.error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'FU-A packet shorter than its headers');
      return;
    }
    const indicator = data[start] as number;
    const header = data[start + 1] as number;
    const isStart = (header & 0x80) !== 0;
    const isEnd = (header & 0x40) !== 0;
    if (isStart) {
      this.#fuHeader[0] = (indicator & 0xe0) | (header & 0x1f);
      this.startFragment(this.#fuHeader, data, start + 2, end);
    } else {
      this.continueFragment(data, start + 2, end);
    }
    // Start and end in one packet is not allowed by §5.8 but CostarHD cameras send it: accept.
    if (isEnd) this.endFragment();
  }
}
