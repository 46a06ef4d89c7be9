import { BitWriter, addEmulationPrevention } from '@camgate/bits';
import { writeAudioSpecificConfig } from '@camgate/codecs';
import { buildRtpPacket, packetizeAac, packetizeH264, type SessionClock } from '@camgate/rtp';
import { MessageReader } from '../message/message-reader.js';
import type { Frame } from './frame.js';
import { InterleavedDemux } from './interleaved-demux.js';
import { READ_BUFFER_BYTES } from './rtsp-connection.js';
import { describeTrack, type SupportedFormat } from './track.js';
import { TrackReceiver } from './track-receiver.js';

/**
 * A deterministic recording of what a 1080p H.264 + AAC camera sends over RTSP
 * interleaved TCP: 1920x1080 Main profile at 25 fps and 4 Mbit/s (IPPP, a
 * keyframe every 2 s: ~150 KB I-frames, ~17 KB P-frames), AAC-LC 48 kHz stereo
 * at 128 kbit/s, 1400-byte RTP payloads, cut into 64 KiB socket reads.
 *
 * Parameter sets and slice headers are real syntax (so the DTS extractor parses
 * them exactly as a camera's); slice data is random bytes. The receive path
 * never decodes slice data, so its cost is the same as for real pictures.
 */
export interface Recording {
  chunks: Buffer[];
  bytes: number;
  videoFrames: number;
  audioFrames: number;
  video: SupportedFormat & { codec: 'h264' };
  audio: SupportedFormat & { codec: 'aac' };
}

const FPS = 25;
const GOP = 50;
const VIDEO_BITRATE = 4_000_000;
const AUDIO_BITRATE = 128_000;
const READ_SIZE = 64 * 1024;

export function makeRecording(seconds = 10): Recording {
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const sps = nal(0x67, writeSps());
  const pps = nal(0x68, writePps());
  const asc = writeAudioSpecificConfig({ objectType: 2, sampleRate: 48_000, channelConfiguration: 2 });

  // Frame sizes so that a GOP averages the bitrate with I-frames ~9x P-frames.
  const gopBytes = (VIDEO_BITRATE / 8) * (GOP / FPS);
  const pBytes = Math.round(gopBytes / (GOP - 1 + 9));
  const iBytes = 9 * pBytes;

  const packets: Array<{ time: number; bytes: Buffer }> = [];
  let videoSeq = 1000;
  const videoFrames = seconds * FPS;
  for (let i = 0; i < videoFrames; i++) {
    const idr = i % GOP === 0;
    const header = writeSliceHeader(idr, i % GOP, Math.floor(i / GOP));
    const slice = nal(idr ? 0x65 : 0x41, header, idr ? iBytes : pBytes, random);
    const nals = idr ? [sps, pps, slice] : [slice];
    const ts = i * 3600;
    for (const payload of packetizeH264(nals)) {
      const rtp = buildRtpPacket(
        { marker: payload.marker, payloadType: 96, sequenceNumber: videoSeq++ & 0xffff, timestamp: ts, ssrc: 0x1111 },
        payload.payload,
      );
      packets.push({ time: ts / 90_000, bytes: interleave(0, rtp) });
    }
  }
  let audioSeq = 7000;
  const auBytes = Math.round(((AUDIO_BITRATE / 8) * 1024) / 48_000);
  const audioFrames = Math.floor((seconds * 48_000) / 1024);
  for (let i = 0; i < audioFrames; i++) {
    const au = new Uint8Array(auBytes);
    for (let b = 0; b < au.length; b++) au[b] = random() & 0xff;
    for (const payload of packetizeAac([{ data: au, timestamp: i * 1024 }])) {
      const rtp = buildRtpPacket(
        {
          marker: payload.marker,
          payloadType: 97,
          sequenceNumber: audioSeq++ & 0xffff,
          timestamp: payload.timestamp,
          ssrc: 0x2222,
        },
        payload.payload,
      );
      packets.push({ time: (i * 1024) / 48_000, bytes: interleave(2, rtp) });
    }
  }
  packets.sort((a, b) => a.time - b.time);
  const stream = Buffer.concat(packets.map((p) => p.bytes));
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += READ_SIZE) chunks.push(Buffer.from(stream.subarray(at, at + READ_SIZE)));

  return {
    chunks,
    bytes: stream.length,
    videoFrames,
    audioFrames,
    video: { codec: 'h264', payloadType: 96, clockRate: 90_000, packetizationMode: 1, sps, pps },
    audio: {
      codec: 'aac',
      payloadType: 97,
      clockRate: 48_000,
      config: asc,
      sizeLength: 13,
      indexLength: 3,
      indexDeltaLength: 3,
      ctsDeltaLength: 0,
      dtsDeltaLength: 0,
      randomAccessIndication: false,
      streamStateIndication: 0,
      auxiliaryDataSizeLength: 0,
      channels: 2,
    },
  };
}

function interleave(channel: number, rtp: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + rtp.length);
  out[0] = 0x24;
  out[1] = channel;
  out.writeUInt16BE(rtp.length, 2);
  out.set(rtp, 4);
  return out;
}

/** A NAL unit: header byte + RBSP (emulation-prevented), padded with random non-zero bytes to `size`. */
function nal(header: number, rbsp: Uint8Array, size = 0, random?: () => number): Uint8Array {
  const body = new Uint8Array(Math.max(rbsp.length, size - 1));
  body.set(rbsp);
  for (let i = rbsp.length; i < body.length; i++) body[i] = ((random?.() ?? 1) % 255) + 1;
  return Uint8Array.from([header, ...addEmulationPrevention(body)]);
}

/** Main profile, level 4.0, 1920x1080 (1088 coded, cropped), POC type 2 (no B-frames). H.264 §7.3.2.1.1 */
function writeSps(): Uint8Array {
  const w = new BitWriter();
  w.writeBits(77, 8); // profile_idc: Main
  w.writeBits(0x40, 8); // constraint_set1
  w.writeBits(40, 8); // level_idc 4.0
  w.writeUE(0); // seq_parameter_set_id
  w.writeUE(0); // log2_max_frame_num_minus4
  w.writeUE(2); // pic_order_cnt_type
  w.writeUE(1); // max_num_ref_frames
  w.writeBit(0); // gaps_in_frame_num_value_allowed_flag
  w.writeUE(119); // pic_width_in_mbs_minus1: 1920
  w.writeUE(67); // pic_height_in_map_units_minus1: 1088
  w.writeBit(1); // frame_mbs_only_flag
  w.writeBit(1); // direct_8x8_inference_flag
  w.writeBit(1); // frame_cropping_flag
  w.writeUE(0);
  w.writeUE(0);
  w.writeUE(0);
  w.writeUE(4); // crop bottom 8 lines
  w.writeBit(0); // vui_parameters_present_flag
  w.writeTrailingBits();
  return w.toUint8Array();
}

/** H.264 §7.3.2.2 */
function writePps(): Uint8Array {
  const w = new BitWriter();
  w.writeUE(0); // pic_parameter_set_id
  w.writeUE(0); // seq_parameter_set_id
  w.writeBit(1); // entropy_coding_mode_flag: CABAC
  w.writeBit(0); // bottom_field_pic_order_in_frame_present_flag
  w.writeUE(0); // num_slice_groups_minus1
  w.writeUE(0); // num_ref_idx_l0_default_active_minus1
  w.writeUE(0); // num_ref_idx_l1_default_active_minus1
  w.writeBit(0); // weighted_pred_flag
  w.writeBits(0, 2); // weighted_bipred_idc
  w.writeSE(0); // pic_init_qp_minus26
  w.writeSE(0); // pic_init_qs_minus26
  w.writeSE(0); // chroma_qp_index_offset
  w.writeBit(1); // deblocking_filter_control_present_flag
  w.writeBit(0); // constrained_intra_pred_flag
  w.writeBit(0); // redundant_pic_cnt_present_flag
  w.writeTrailingBits();
  return w.toUint8Array();
}

/** Slice header (H.264 §7.3.3) up to the slice data, then cabac_alignment_one_bits. */
function writeSliceHeader(idr: boolean, frameNum: number, idrPicId: number): Uint8Array {
  const w = new BitWriter();
  w.writeUE(0); // first_mb_in_slice
  w.writeUE(idr ? 7 : 5); // slice_type: I or P (all slices of the picture)
  w.writeUE(0); // pic_parameter_set_id
  w.writeBits(frameNum % 16, 4); // frame_num
  if (idr) w.writeUE(idrPicId % 2);
  if (!idr) {
    w.writeBit(0); // num_ref_idx_active_override_flag
    w.writeBit(0); // ref_pic_list_modification_flag_l0
  }
  if (idr) {
    w.writeBit(0); // no_output_of_prior_pics_flag
    w.writeBit(0); // long_term_reference_flag
  } else {
    w.writeBit(0); // adaptive_ref_pic_marking_mode_flag
    w.writeUE(0); // cabac_init_idc
  }
  w.writeSE(0); // slice_qp_delta
  w.writeUE(0); // disable_deblocking_filter_idc
  w.writeSE(0); // slice_alpha_c0_offset_div2
  w.writeSE(0); // slice_beta_offset_div2
  while (!w.byteAligned) w.writeBit(1); // cabac_alignment_one_bit
  return w.toUint8Array();
}

/**
 * A session's TCP receive path without its socket, for tests and the benchmark: the connection's
 * MessageReader, the session's InterleavedDemux and one TrackReceiver per track (channels 2i, 2i+1),
 * as RtspSession sets them up. `read(chunk)` does what the connection's `onread` does: the bytes land
 * in one reused 64 KiB read buffer, which is fed, then overwritten by the next read.
 */
export function receivePath(formats: readonly SupportedFormat[], onFrame: (frame: Frame) => void) {
  const clock: SessionClock = { startMs: performance.now(), wallStartMs: Date.now() };
  const demux = new InterleavedDemux();
  const receivers = formats.map((format, id) => {
    const receiver = new TrackReceiver(
      describeTrack(id, format),
      format,
      clock,
      { onFrame, onTrackChange: () => undefined },
      { reorder: false },
    );
    demux.route(receiver, [id * 2, id * 2 + 1]);
    return receiver;
  });
  const reader = new MessageReader(
    {
      onResponse: () => undefined,
      onRequest: () => undefined,
      onInterleaved: (channel, payload) => demux.push(channel, payload),
    },
    { strictStart: true },
  );
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** One socket read of `chunk` (at most 64 KiB). */
  const read = (chunk: Buffer) => {
    const bytes = chunk.copy(readBuffer);
    reader.feed(readBuffer, bytes);
  };
  return { read, readBuffer, reader, demux, receivers };
}
