import { readdirSync, readFileSync } from 'node:fs';
import type { TrackFormat } from './track-format.js';

const TESTDATA = new URL('../testdata/', import.meta.url);

/** The `.sdp` files of testdata/ (see testdata/README.md for where each comes from). */
export function fixtureNames(): string[] {
  return readdirSync(TESTDATA)
    .filter((name) => name.endsWith('.sdp'))
    .sort();
}

/** A fixture's text, byte for byte (line endings included); SDP is UTF-8 (RFC 8866 §5). */
export function readFixture(name: string): string {
  return readFileSync(new URL(name, TESTDATA), 'utf8');
}

/** testdata/README.md, which says where each fixture comes from. */
export function readTestdataReadme(): string {
  return readFileSync(new URL('README.md', TESTDATA), 'utf8');
}

const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? '-' : Buffer.from(bytes).toString('hex'));

/** One line per track format, for readable table-driven expectations. */
export function summarizeFormat(format: TrackFormat): string {
  switch (format.codec) {
    case 'h264':
      return `h264 pt${format.payloadType} ${format.clockRate} mode${format.packetizationMode} sps=${hex(format.sps)} pps=${hex(format.pps)}`;
    case 'h265':
      return `h265 pt${format.payloadType} ${format.clockRate} vps=${hex(format.vps)} sps=${hex(format.sps)} pps=${hex(format.pps)}`;
    case 'aac':
      return `aac pt${format.payloadType} ${format.clockRate}/${format.channels ?? '-'} config=${hex(format.config)} ${format.sizeLength}/${format.indexLength}/${format.indexDeltaLength}`;
    case 'aac-latm':
      return `aac-latm pt${format.payloadType} ${format.clockRate} cpresent=${format.cpresent} config=${hex(format.config)}`;
    case 'pcma':
    case 'pcmu':
    case 'l16':
    case 'opus':
      return `${format.codec} pt${format.payloadType} ${format.clockRate}/${format.channels}`;
    case 'unsupported':
      return `unsupported pt${format.payloadType ?? '-'} ${format.encoding ?? '-'}`;
  }
}
