import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, runProcess } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { ALAW_TO_LINEAR, decodeAlaw, decodeUlaw, linearToUlaw, ULAW_TO_LINEAR } from './g711.js';

describe('G.711 expansion tables (ITU-T G.711 Tables 1a/1b, 2a/2b)', () => {
  // Decoder output values of the spec (13-bit A-law scale ×8, 14-bit µ-law scale ×4).
  const cases: Array<[law: string, table: Readonly<Int16Array>, code: number, linear: number]> = [
    ['A-law smallest positive (segment 0, step 0: 1 on the 13-bit scale)', ALAW_TO_LINEAR, 0xd5, 8],
    ['A-law smallest negative', ALAW_TO_LINEAR, 0x55, -8],
    ['A-law largest positive (segment 7, step 15: 4032)', ALAW_TO_LINEAR, 0xaa, 32256],
    ['A-law largest negative', ALAW_TO_LINEAR, 0x2a, -32256],
    ['A-law segment 1 start (33 on the 13-bit scale)', ALAW_TO_LINEAR, 0xc5, 264],
    ['µ-law positive zero', ULAW_TO_LINEAR, 0xff, 0],
    ['µ-law negative zero', ULAW_TO_LINEAR, 0x7f, 0],
    ['µ-law largest positive (8031 on the 14-bit scale)', ULAW_TO_LINEAR, 0x80, 32124],
    ['µ-law largest negative', ULAW_TO_LINEAR, 0x00, -32124],
    ['µ-law smallest positive step (2)', ULAW_TO_LINEAR, 0xfe, 8],
  ];
  it.each(cases)('%s', (_name, table, code, linear) => {
    expect(table[code]).toBe(linear);
  });

  it('both laws are odd-symmetric: flipping the sign bit negates the value', () => {
    for (let code = 0; code < 128; code++) {
      expect(ALAW_TO_LINEAR[code]).toBe(0 - (ALAW_TO_LINEAR[code | 0x80] as number));
      expect(ULAW_TO_LINEAR[code]).toBe(0 - (ULAW_TO_LINEAR[code | 0x80] as number));
    }
  });
});

describe('decodeAlaw / decodeUlaw', () => {
  it('write into the caller buffer and return the sample count', () => {
    const out = new Int16Array(4).fill(7);
    expect(decodeAlaw(Uint8Array.of(0xd5, 0x55), out)).toBe(2);
    expect(Array.from(out)).toEqual([8, -8, 7, 7]);
    expect(decodeUlaw(Uint8Array.of(0x80, 0x00, 0xff), out)).toBe(3);
    expect(Array.from(out)).toEqual([32124, -32124, 0, 7]);
  });

  it('reject an output shorter than the input', () => {
    expect(() => decodeAlaw(new Uint8Array(3), new Int16Array(2))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_ARGUMENT }),
    );
  });
});

describe('linearToUlaw (G.711 §3)', () => {
  it('compresses every table value back to its code word (±0 to 0xff)', () => {
    for (let code = 0; code < 256; code++) {
      expect(linearToUlaw(ULAW_TO_LINEAR[code]!)).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('quantises every 16-bit value monotonically, within one step of its segment (clipped at ±32124)', () => {
    const wrong: number[] = [];
    let previous = -Infinity;
    for (let x = -32768; x <= 32767; x++) {
      const y = ULAW_TO_LINEAR[linearToUlaw(x)]!;
      const clipped = Math.max(-32124, Math.min(32124, x));
      // Segment s holds biased magnitudes 2^(s+7) .. 2^(s+8) - 1 in steps of 2^(s+3) (16-bit scale).
      const step = 2 ** Math.max(3, Math.floor(Math.log2(Math.abs(clipped) + 132)) - 4);
      if (y < previous || Math.abs(y - clipped) > step) wrong.push(x);
      previous = y;
    }
    expect(wrong).toEqual([]);
  });
});

describe('G.711 against ffmpeg (pcm_alaw, pcm_mulaw decoders)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-g711-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const laws: Array<[format: string, decode: typeof decodeAlaw]> = [
    ['alaw', decodeAlaw],
    ['mulaw', decodeUlaw],
  ];
  it.for(laws)('all 256 %s code words decode bit-exact', async ([format, decode], ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const input = join(dir, `${format}.bin`);
    const output = join(dir, `${format}.s16le`);
    await writeFile(input, codes);
    const result = await runProcess(ffmpeg, [
      '-v',
      'error',
      '-f',
      format,
      '-ar',
      '8000',
      '-ac',
      '1',
      '-i',
      input,
      '-f',
      's16le',
      '-y',
      output,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const raw = await readFile(output);
    const theirs = new Int16Array(256);
    for (let i = 0; i < 256; i++) theirs[i] = raw.readInt16LE(2 * i);
    const ours = new Int16Array(256);
    decode(codes, ours);
    expect(Array.from(ours)).toEqual(Array.from(theirs));
  });
});
