import { fromHex } from './test-media.js';

/**
 * Parameter sets and decoder configurations from real encoders, for golden tests. Where they come
 * from is written beside each; none is made up.
 */

/** H.264 Main, 320x240, no VUI aspect ratio: packages/codecs/testdata/h264-main-bf2.h264 (libx264). */
export const H264_MAIN = {
  sps: fromHex('674d400de880a0fd80880000030008000003019078a14890'),
  pps: fromHex('68ebe0e4b2'),
};

/**
 * H.264 High, 320x240, sample aspect ratio 4:3 (aspect_ratio_idc 14): x264 core 164 via Debian's
 * ffmpeg 5.1, `ffmpeg -f lavfi -i testsrc2=size=320x240:rate=25 -t 0.04 -vf setsar=4/3
 * -c:v libx264 -threads 1 -profile:v high -f h264 out.h264`.
 */
export const H264_HIGH_SAR_4_3 = {
  sps: fromHex('6764000dacd94141fb0e1000000300100000030320f1429960'),
  pps: fromHex('68ebe3cb22c0'),
};

/** H.265 Main, 320x240, no aspect ratio: packages/codecs/testdata/h265-main.h265 (libx265 3.5). */
export const H265_MAIN = {
  vps: fromHex('40010c01ffff01600000030090000003000003003c959809'),
  sps: fromHex('42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210'),
  pps: fromHex('4401c172b46240'),
};

/**
 * H.265 Main, 320x240, sample aspect ratio 16:11 (aspect_ratio_idc 4): libx265 3.5 via Debian's
 * ffmpeg 5.1, `ffmpeg -f lavfi -i testsrc2=size=320x240:rate=25 -t 0.04 -vf setsar=16/11
 * -c:v libx265 -x265-params pools=1:frame-threads=1 -f hevc out.h265`.
 */
export const H265_MAIN_SAR_16_11 = {
  vps: fromHex('40010c01ffff01600000030090000003000003003c959809'),
  sps: fromHex('42010101600000030090000003000003003ca00a080f165959a4932bc11a020000030002000003003210'),
  pps: fromHex('4401c172b46240'),
};

/**
 * AAC-LC 48 kHz stereo with the explicit "no SBR" sync extension, as ffmpeg's RTP muxer puts it
 * in the SDP: config= of packages/codecs/testdata/aac-lc-48k-stereo.sdp.
 */
export const AAC_LC_48K_STEREO_ASC = fromHex('119056e500');

/**
 * Built by hand from ISO/IEC 14496-3, as no Debian encoder makes HE-AAC (see codecs/testdata/README.md).
 * HE-AAC v1, explicit hierarchical signalling (§1.6.2.1): AOT 5, 24 kHz core, stereo, 48 kHz SBR, then AOT 2. */
export const HE_AAC_EXPLICIT_ASC = fromHex('2b118800'); // 00101 0110 0010 0011 00010 000 + padding

/** HE-AAC v1, backward-compatible signalling (§1.6.5.2): AAC-LC 24 kHz stereo, then sync extension 0x2b7, AOT 5, SBR, 48 kHz. */
export const HE_AAC_IMPLICIT_ASC = fromHex('1310 56e5 98'); // 00010 0110 0010 000 | 01010110111 00101 1 0011 + padding
