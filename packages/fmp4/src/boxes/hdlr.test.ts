import { describe, expect, it } from 'vitest';
import { Fmp4ErrorCode } from '../errors.js';
import { boxHex, cc, golden } from '../test-boxes.js';
import { BoxWriter } from '../box-writer.js';
import { HANDLER_NAMES, hdlrSize, type HandlerType, writeHdlr } from './hdlr.js';

describe('hdlr (ISO/IEC 14496-12 §8.4.3)', () => {
  it.each<[HandlerType, string]>([
    ['vide', '0000002d'],
    ['soun', '0000002d'],
  ])('writes the %s handler byte-exactly', (type, size) => {
    const name = HANDLER_NAMES[type];
    expect(boxHex(hdlrSize(name), (w) => writeHdlr(w, type, name))).toBe(
      golden(
        `${size} ${cc('hdlr')} 00000000`, // size 45, version 0
        `00000000 ${cc(type)}`, // pre_defined, handler_type
        '00000000 00000000 00000000', // reserved
        `${cc(name)} 00`, // name, null-terminated
      ),
    );
  });

  it.each([
    ['a NUL', 'a\0b'],
    ['non-ASCII', 'Vidéo'],
  ])('refuses a name with %s (FMP4_INVALID_FIELD)', (_name, name) => {
    expect(() => writeHdlr(new BoxWriter(64), 'vide', name)).toThrow(
      expect.objectContaining({ code: Fmp4ErrorCode.INVALID_FIELD }),
    );
  });
});
