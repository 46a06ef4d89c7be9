import { RtspError, RtspErrorCode } from '../errors.js';

/** 4 KiB: the standard methods take ~90 bytes; bounds the work on a hostile header. */
export const MAX_PUBLIC_HEADER_LENGTH = 4096;
/** 64 methods: RFC 2326 defines 11; the rest are extensions. */
export const MAX_PUBLIC_METHODS = 64;
/** RFC 2326 §15 extension-method = token; 32 bytes is far above any real method name. */
const METHOD = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * Parses a Public header (RFC 2326 §12.28) into upper-cased method names, e.g.
 * `OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER`. Tolerates spaces and
 * separators other than commas; drops tokens that are not method names. A camera may list methods it
 * answers badly (Tapo C220 and SET_PARAMETER, retina#133): this only says what is advertised.
 *
 * @throws RtspError RTSP_INVALID_HEADER when the header is longer than 4 KiB.
 */
export function parsePublicHeader(value: string): Set<string> {
  if (value.length > MAX_PUBLIC_HEADER_LENGTH) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent an oversized Public header');
  }
  const methods = new Set<string>();
  for (const token of value.split(/[\s,;]+/)) {
    if (METHOD.test(token)) methods.add(token.toUpperCase());
    if (methods.size === MAX_PUBLIC_METHODS) break;
  }
  return methods;
}
