/**
 * The two CRCs of a FLAC frame (RFC 9639 §9.1.8 and §9.3), MSB-first, initial value 0, no
 * final XOR, computed a byte at a time from 256-entry tables built once.
 */

function buildTable(poly: number, width: 8 | 16): Uint16Array {
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << (width - 8);
    for (let bit = 0; bit < 8; bit++) crc = (crc & top) !== 0 ? ((crc << 1) ^ poly) & mask : (crc << 1) & mask;
    table[byte] = crc;
  }
  return table;
}

/** CRC-8 of the frame header, polynomial x^8 + x^2 + x + 1 (RFC 9639 §9.1.8). */
const CRC8_TABLE = buildTable(0x07, 8);
/** CRC-16 of the whole frame, polynomial x^16 + x^15 + x^2 + 1 (RFC 9639 §9.3). */
const CRC16_TABLE = buildTable(0x8005, 16);

export function flacCrc8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = CRC8_TABLE[crc ^ (bytes[i] as number)] as number;
  return crc;
}

export function flacCrc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[(crc >>> 8) ^ (bytes[i] as number)] as number);
  }
  return crc;
}
