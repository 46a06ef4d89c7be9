import type { BoxWriter } from '../box-writer.js';

/** Descriptor tags (ISO/IEC 14496-1 §7.2.2.1, table 1). */
const ES_DESCR_TAG = 0x03;
const DECODER_CONFIG_DESCR_TAG = 0x04;
const DEC_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCR_TAG = 0x06;

/** objectTypeIndication of MPEG-4 Audio (ISO/IEC 14496-1 §7.2.6.6.2, table 5). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** streamType 0x05 (AudioStream, table 6) << 2 | upStream 0 << 1 | reserved 1. */
const AUDIO_STREAM = (0x05 << 2) | 1;
/** SLConfigDescriptor predefined 2: "reserved for use in MP4 files" (§7.3.2.3.2, ISO/IEC 14496-14 §3.1.2). */
const SL_PREDEFINED_MP4 = 2;

/** DecoderConfigDescriptor payload before its DecoderSpecificInfo: OTI, stream type, buffer, two bitrates. */
const DECODER_CONFIG_FIELDS = 13;
/** ES_Descriptor payload before its sub-descriptors: ES_ID(16) and four flag/priority bits(8). */
const ES_DESCRIPTOR_FIELDS = 3;
/** SLConfigDescriptor: tag, size 1, predefined. */
const SL_CONFIG_SIZE = 3;

/**
 * ESDBox (ISO/IEC 14496-14 §5.6): a full box holding an ES_Descriptor (14496-1 §7.2.6.5) with a
 * DecoderConfigDescriptor for MPEG-4 Audio whose DecoderSpecificInfo is the AudioSpecificConfig as
 * received (SDP config= or in-band), and the MP4 SLConfigDescriptor.
 */
export function esdsSize(audioSpecificConfig: Uint8Array): number {
  return 12 + descriptorSize(esDescriptorPayload(audioSpecificConfig.length));
}

export function writeEsds(w: BoxWriter, audioSpecificConfig: Uint8Array): void {
  const box = w.startFullBox('esds', 0, 0);
  const ascLength = audioSpecificConfig.length;
  writeDescriptorHeader(w, ES_DESCR_TAG, esDescriptorPayload(ascLength));
  w.u16(0); // ES_ID: 0 as stored in a file (14496-14 §3.1.2)
  w.u8(0); // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority
  writeDescriptorHeader(w, DECODER_CONFIG_DESCR_TAG, DECODER_CONFIG_FIELDS + descriptorSize(ascLength));
  w.u8(OBJECT_TYPE_MPEG4_AUDIO);
  w.u8(AUDIO_STREAM);
  w.u24(0); // bufferSizeDB: unknown
  w.u32(0); // maxBitrate: unknown
  w.u32(0); // avgBitrate: 0 = variable or unknown
  writeDescriptorHeader(w, DEC_SPECIFIC_INFO_TAG, ascLength);
  w.bytesFrom(audioSpecificConfig);
  writeDescriptorHeader(w, SL_CONFIG_DESCR_TAG, 1);
  w.u8(SL_PREDEFINED_MP4);
  w.endBox(box);
}

function esDescriptorPayload(ascLength: number): number {
  return ES_DESCRIPTOR_FIELDS + descriptorSize(DECODER_CONFIG_FIELDS + descriptorSize(ascLength)) + SL_CONFIG_SIZE;
}

/** Tag, size and payload of a descriptor whose payload is `payload` bytes. */
function descriptorSize(payload: number): number {
  return 1 + sizeFieldLength(payload) + payload;
}

/** sizeOfInstance is coded in 7-bit groups, high bit = more follow (ISO/IEC 14496-1 §8.3.3); shortest form. */
function sizeFieldLength(payload: number): number {
  let length = 1;
  while (payload >= 2 ** (7 * length)) length++;
  return length;
}

function writeDescriptorHeader(w: BoxWriter, tag: number, payload: number): void {
  w.u8(tag);
  for (let i = sizeFieldLength(payload) - 1; i >= 0; i--) {
    w.u8((Math.floor(payload / 2 ** (7 * i)) & 0x7f) | (i > 0 ? 0x80 : 0));
  }
}
