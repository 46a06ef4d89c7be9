import { BoxWriter } from './box-writer.js';

/**
 * Writes boxes into a buffer of exactly `size` bytes and returns them as hex: a size function
 * that disagrees with its writer fails here (FMP4_BUFFER_OVERFLOW).
 */
export function boxHex(size: number, write: (w: BoxWriter) => void): string {
  const w = new BoxWriter(size);
  write(w);
  return Buffer.from(w.finishExact()).toString('hex');
}

/** Golden bytes written as commented hex chunks: `golden('0000006c 6d766864', '...')`. */
export function golden(...chunks: string[]): string {
  return chunks.join('').replace(/\s+/g, '').toLowerCase();
}

/** A four-character code as hex. */
export function cc(code: string): string {
  return Buffer.from(code, 'latin1').toString('hex');
}
