import type { BoxWriter } from '../box-writer.js';
import { Fmp4Error, Fmp4ErrorCode } from '../errors.js';

export type HandlerType = 'vide' | 'soun';

/** Handler names as ffmpeg and GPAC write them; players show them at most in debug output. */
export const HANDLER_NAMES: Readonly<Record<HandlerType, string>> = {
  vide: 'VideoHandler',
  soun: 'SoundHandler',
};

/** HandlerBox size: full box header, pre_defined, handler_type, 3 reserved words and the name with its NUL. */
export function hdlrSize(name: string): number {
  return 12 + 4 + 4 + 12 + name.length + 1;
}

/** HandlerBox (ISO/IEC 14496-12 §8.4.3): the media type and a null-terminated UTF-8 name (ASCII here). */
export function writeHdlr(w: BoxWriter, handlerType: HandlerType, name: string): void {
  const box = w.startFullBox('hdlr', 0, 0);
  w.u32(0); // pre_defined
  w.fourcc(handlerType);
  w.zeros(12); // reserved
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code === 0 || code > 0x7f) {
      throw new Fmp4Error(Fmp4ErrorCode.INVALID_FIELD, `handler name ${JSON.stringify(name)} is not printable ASCII`);
    }
    w.u8(code);
  }
  w.u8(0);
  w.endBox(box);
}
