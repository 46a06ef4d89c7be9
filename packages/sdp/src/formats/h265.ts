import type { TrackFormat } from '../track-format.js';
import { decodeSpropNalUnits } from './parameter-sets.js';

/** H.265 nal_unit_type values (H.265 table 7-1). */
const NAL_VPS = 32;
const NAL_SPS = 33;
const NAL_PPS = 34;
/** The two-byte NAL unit header plus at least one payload byte (H.265 §7.3.1.2). */
const MIN_PARAMETER_SET_BYTES = 3;

/**
 * H.265 over RTP (RFC 7798). The clock is 90 kHz (§7.1) when the rtpmap gives none.
 * Each of sprop-vps/sps/pps may be missing or broken: the depacketizer then learns it in-band.
 *
 * Only single-stream transmission without decoding order numbers is supported: DONL fields
 * (§4.4) are present when sprop-max-don-diff or sprop-depack-buf-nalus is above 0, and
 * multi-stream modes (tx-mode MRST/MRMT, §7.1) require them. Such tracks are unsupported, not
 * the session. PACI packets (§4.4.4) have no SDP signal; the depacketizer drops them in-band.
 */
export function resolveH265(payloadType: number, clockRate: number, fmtp: ReadonlyMap<string, string>): TrackFormat {
  const unsupported = (reason: string): TrackFormat => ({
    codec: 'unsupported',
    payloadType,
    encoding: 'H265',
    reason,
  });

  // A value we cannot read might mean DONL is on, and then every packet would be misread: refuse it too.
  if (!isZeroOrAbsent(fmtp.get('sprop-max-don-diff'))) {
    return unsupported('H.265 DONL (sprop-max-don-diff) is not supported');
  }
  if (!isZeroOrAbsent(fmtp.get('sprop-depack-buf-nalus'))) {
    return unsupported('H.265 DONL (sprop-depack-buf-nalus) is not supported');
  }
  const txMode = fmtp.get('tx-mode')?.trim();
  if (txMode !== undefined && txMode !== '' && txMode.toUpperCase() !== 'SRST') {
    return unsupported(`H.265 multi-stream transmission (tx-mode=${txMode.slice(0, 8)}) is not supported`);
  }

  const format: Extract<TrackFormat, { codec: 'h265' }> = {
    codec: 'h265',
    payloadType,
    clockRate: clockRate === 0 ? 90_000 : clockRate,
  };
  const vps = firstOfType(fmtp.get('sprop-vps'), NAL_VPS);
  const sps = firstOfType(fmtp.get('sprop-sps'), NAL_SPS);
  const pps = firstOfType(fmtp.get('sprop-pps'), NAL_PPS);
  if (vps !== undefined) format.vps = vps;
  if (sps !== undefined) format.sps = sps;
  if (pps !== undefined) format.pps = pps;
  return format;
}

function isZeroOrAbsent(value: string | undefined): boolean {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' || /^0+$/.test(trimmed);
}

/** The first NAL unit of the given type in an sprop value; a set of the wrong type is skipped. */
function firstOfType(sprop: string | undefined, type: number): Uint8Array | undefined {
  if (sprop === undefined) return undefined;
  for (const nal of decodeSpropNalUnits(sprop)) {
    const header = nal[0] as number;
    // forbidden_zero_bit must be 0; nal_unit_type is bits 1-6 of the first byte (H.265 §7.3.1.2).
    if ((header & 0x80) === 0 && ((header >> 1) & 0x3f) === type && nal.length >= MIN_PARAMETER_SET_BYTES) return nal;
  }
  return undefined;
}
