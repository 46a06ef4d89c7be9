import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { DOPS_SIZE, writeDops } from './dops.js';

describe('dOps (Opus in ISOBMFF §4.3.2)', () => {
  it.each([
    [2, 312, 48000, '02 0138 0000bb80'],
    [1, 0, 16000, '01 0000 00003e80'],
  ])('writes %i channels, pre-skip %i, input rate %i byte-exactly', (channels, preSkip, rate, fields) => {
    expect(
      boxHex(DOPS_SIZE, (w) => writeDops(w, { outputChannelCount: channels, preSkip, inputSampleRate: rate })),
    ).toBe(
      golden(
        `00000013 ${cc('dOps')}`, // size 19, a plain box
        '00', // Version 0
        fields, // OutputChannelCount, PreSkip, InputSampleRate
        '0000 00', // OutputGain 0, ChannelMappingFamily 0
      ),
    );
  });
});
