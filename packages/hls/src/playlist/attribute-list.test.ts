import { describe, expect, it } from 'vitest';
import { HlsErrorCode } from '../errors.js';
import { attr, formatAttributeList } from './attribute-list.js';

describe('formatAttributeList (RFC 8216 §4.2)', () => {
  it('writes an EXT-X-STREAM-INF attribute list in order', () => {
    expect(
      formatAttributeList({
        BANDWIDTH: attr.integer(2_500_000),
        'AVERAGE-BANDWIDTH': attr.integer(2_000_000),
        CODECS: attr.quoted('avc1.640028,mp4a.40.2'),
        RESOLUTION: attr.resolution(1920, 1080),
        'FRAME-RATE': attr.float(25),
        AUDIO: attr.quoted('audio'),
      }),
    ).toBe(
      'BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=25.000,AUDIO="audio"',
    );
  });

  it('writes LL-HLS server control values and skips undefined attributes', () => {
    expect(
      formatAttributeList({
        'CAN-BLOCK-RELOAD': attr.enumerated('YES'),
        'CAN-SKIP-UNTIL': attr.float(12, 1),
        'HOLD-BACK': undefined,
        'PART-HOLD-BACK': attr.float(0.6),
      }),
    ).toBe('CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=0.600');
  });

  it('never writes an exponent', () => {
    expect(attr.float(1e-7).text).toBe('0.000');
    expect(attr.signedFloat(-1.5).text).toBe('-1.500');
  });

  it.each([
    ['a quote in a quoted-string', () => attr.quoted('a"b')],
    ['a newline in a quoted-string', () => attr.quoted('a\nb')],
    ['a comma in an enumerated-string', () => attr.enumerated('A,B')],
    ['a negative integer', () => attr.integer(-1)],
    ['a fractional integer', () => attr.integer(1.5)],
    ['NaN as a float', () => attr.float(Number.NaN)],
    ['a zero-width resolution', () => attr.resolution(0, 720)],
    ['a lower-case name', () => formatAttributeList({ codecs: attr.quoted('x') })],
  ])('rejects %s with HLS_INVALID_ATTRIBUTE', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: HlsErrorCode.INVALID_ATTRIBUTE }));
  });
});
