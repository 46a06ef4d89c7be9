import { H265NalType, isH265RandomAccess } from '@camgate/codecs';
import { RtpErrorCode } from '../errors.js';
import { VideoDepacketizer, type DepacketizerSink, type VideoAccessUnit } from './video-depacketizer.js';

/** RTP payload types of RFC 7798 §4.4. */
const AP = 48;
const FU = 49;
const PACI = 50;

/**
 * H.265 RTP depacketizer, RFC 7798 without DONL (sprop-max-don-diff = 0; the
 * SDP layer marks streams with DONL unsupported): single NAL unit packets,
 * aggregation packets (AP) and fragmentation units (FU). PACI packets are
 * counted as unsupported and dropped.
 */
export class H265Depacketizer extends VideoDepacketizer {
  protected readonly parameterSetTypes = [H265NalType.VPS, H265NalType.SPS, H265NalType.PPS] as const;
  readonly #fuHeader = new Uint8Array(2);

  constructor(
    sink: DepacketizerSink<VideoAccessUnit>,
    parameterSets: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array } = {},
  ) {
    super(
      sink,
      [parameterSets.vps, parameterSets.sps, parameterSets.pps].filter((x) => x !== undefined),
    );
  }

  protected nalTypeOf(firstByte: number): number {
    return (firstByte >>> 1) & 0x3f;
  }

  protected isPicture(type: number): boolean {
    return type <= 31;
  }

  protected isRandomAccess(type: number): boolean {
    return isH265RandomAccess(type);
  }

  protected isAccessUnitDelimiter(type: number): boolean {
    return type === H265NalType.ACCESS_UNIT_DELIMITER;
  }

  protected parsePayload(data: Uint8Array, start: number, end: number): void {
    if (end - start < 2) {
      this.error(RtpErrorCode.INVALID_AGGREGATION, 'H.265 payload shorter than its NAL unit header');
      return;
    }
    const type = ((data[start] as number) >>> 1) & 0x3f;
    if (type < AP) {
      this.writeNal(data, start, end);
    } else if (type === AP) {
      this.#aggregation(data, start + 2, end);
    } else if (type === FU) {
      this.#fragment(data, start, end);
    } else {
      const name = type === PACI ? 'PACI' : `type ${type}`;
      this.error(RtpErrorCode.UNSUPPORTED_PACKETIZATION, `H.265 ${name} packets are not supported`);
    }
  }

  /** Aggregation packet (§4.4.2) without DONL: 16-bit size + NAL unit, repeated. */
  #aggregation(data: Uint8Array, from: number, end: number): void {
    let at = from;
    while (at < end) {
      if (at + 2 > end) {
        this.error(RtpErrorCode.INVALID_AGGREGATION, 'AP ends inside a size field');
        return;
      }
      const size = ((data[at] as number) << 8) | (data[at + 1] as number);
      at += 2;
      if (size < 2 || at + size > end) {
        this.error(RtpErrorCode.INVALID_AGGREGATION, `AP NAL unit of ${size} bytes does not fit the packet`);
        return;
      }
      this.writeNal(data, at, at + size);
      at += size;
    }
  }

  /** Fragmentation unit (§4.4.3): payload header (2 bytes, type 49) + FU header (S, E, type) + fragment. */
  #fragment(data: Uint8Array, start: number, end: number): void {
    if (end - start < 3) {
      this.error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'FU packet shorter than its headers');
      return;
    }
    const header = data[start + 2] as number;
    const isStart = (header & 0x80) !== 0;
    const isEnd = (header & 0x40) !== 0;
    if (isStart) {
      this.#fuHeader[0] = ((data[start] as number) & 0x81) | ((header & 0x3f) << 1);
      this.#fuHeader[1] = data[start + 1] as number;
      this.startFragment(this.#fuHeader, data, start + 3, end);
    } else {
      this.continueFragment(data, start + 3, end);
    }
    // S and E together breaks §4.4.3 but OpenIPC cameras send it (go2rtc 7036d196): accept.
    if (isEnd) this.endFragment();
  }
}
