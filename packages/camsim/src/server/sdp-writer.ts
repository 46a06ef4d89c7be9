import type { PacketizedTrack } from '../media/packetized-clip.js';

export interface SdpOptions {
  /** Address for the o= line. */
  address: string;
  /** Leave sprop-parameter-sets / sprop-vps/sps/pps out (cameras that only send them in-band). */
  omitParameterSets?: boolean;
  /** How each track's a=control is written. */
  control?: (trackIndex: number) => string;
}

const base64 = (bytes: Uint8Array | undefined) => (bytes === undefined ? '' : Buffer.from(bytes).toString('base64'));

/** The session description a camera sends in its DESCRIBE answer (RFC 8866, RFC 6184 §8.1, RFC 7798 §7.1, RFC 3640 §4.1). */
export function writeSdp(tracks: readonly PacketizedTrack[], options: SdpOptions): string {
  const lines = [
    'v=0',
    `o=- ${Date.now()} 1 IN IP4 ${options.address}`,
    's=camgate camsim',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
  ];
  tracks.forEach((t, i) => {
    const { track, payloadType: pt } = t;
    const config = track.config;
    const control = options.control?.(i) ?? `trackID=${i}`;
    if (track.codec === 'h264') {
      lines.push(`m=video 0 RTP/AVP ${pt}`, `a=rtpmap:${pt} H264/90000`);
      const sps = config.sps;
      const profile = sps !== undefined && sps.length >= 4 ? Buffer.from(sps.subarray(1, 4)).toString('hex') : '42e01f';
      const sprop =
        options.omitParameterSets === true ? '' : `;sprop-parameter-sets=${base64(config.sps)},${base64(config.pps)}`;
      lines.push(`a=fmtp:${pt} packetization-mode=1;profile-level-id=${profile}${sprop}`);
    } else if (track.codec === 'h265') {
      lines.push(`m=video 0 RTP/AVP ${pt}`, `a=rtpmap:${pt} H265/90000`);
      if (options.omitParameterSets !== true) {
        lines.push(
          `a=fmtp:${pt} sprop-vps=${base64(config.vps)};sprop-sps=${base64(config.sps)};sprop-pps=${base64(config.pps)}`,
        );
      }
    } else if (track.codec === 'aac') {
      const channels = track.channels ?? 2;
      const asc = Buffer.from(config.audioSpecificConfig ?? new Uint8Array()).toString('hex');
      lines.push(
        `m=audio 0 RTP/AVP ${pt}`,
        `a=rtpmap:${pt} MPEG4-GENERIC/${track.clockRate}/${channels}`,
        `a=fmtp:${pt} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${asc}`,
      );
    } else if (track.codec === 'l16') {
      lines.push(`m=audio 0 RTP/AVP ${pt}`, `a=rtpmap:${pt} L16/${track.clockRate}/${track.channels ?? 1}`);
    } else {
      const encoding = track.codec === 'pcmu' ? 'PCMU' : 'PCMA';
      lines.push(`m=audio 0 RTP/AVP ${pt}`, `a=rtpmap:${pt} ${encoding}/${track.clockRate}`);
    }
    lines.push(`a=control:${control}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}
