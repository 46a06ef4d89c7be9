import type { BoxWriter } from '../box-writer.js';

export interface FileType {
  majorBrand: string;
  minorVersion: number;
  compatibleBrands: readonly string[];
}

/**
 * CMAF header brands: `iso6` for the fragment features LL-HLS relies on
 * (RFC 8216bis §3.1.2 requires iso6 or later) and `cmfc` for CMAF (ISO/IEC 23000-19 §7.2).
 */
export const CMAF_FILE_TYPE: FileType = {
  majorBrand: 'iso6',
  minorVersion: 0,
  compatibleBrands: ['iso6', 'cmfc', 'mp41'],
};

export function ftypSize(fileType: FileType): number {
  return 16 + 4 * fileType.compatibleBrands.length;
}

/** FileTypeBox, ISO/IEC 14496-12 §4.3. */
export function writeFtyp(w: BoxWriter, fileType: FileType): void {
  const box = w.startBox('ftyp');
  w.fourcc(fileType.majorBrand);
  w.u32(fileType.minorVersion);
  for (const brand of fileType.compatibleBrands) w.fourcc(brand);
  w.endBox(box);
}
