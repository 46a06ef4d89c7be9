import {
  FLAC_STREAMINFO_BYTES,
  flacMetadataBlock,
  FlacMetadataType,
  flacStreamInfo,
  type FlacStreamInfo,
} from '@camgate/codecs';
import type { BoxWriter } from '../box-writer.js';

/**
 * FLACSpecificBox with STREAMINFO only: full box header (12), metadata block header (4) and
 * STREAMINFO (34) ("Encapsulation of FLAC in ISO Base Media File Format" §3.3.2).
 */
export const DFLA_SIZE = 12 + 4 + FLAC_STREAMINFO_BYTES;

/**
 * FLACSpecificBox 'dfLa' (Xiph "Encapsulation of FLAC in ISO Base Media File Format" §3.3.2):
 * version 0, flags 0, then FLAC metadata blocks (RFC 9639 §8) of which the first is STREAMINFO;
 * the last one carries the last-metadata-block flag. A live stream needs no other block.
 */
export function writeDfla(w: BoxWriter, info: FlacStreamInfo): void {
  const box = w.startFullBox('dfLa', 0, 0);
  w.bytesFrom(flacMetadataBlock(FlacMetadataType.STREAMINFO, flacStreamInfo(info), true));
  w.endBox(box);
}
