import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { AUDIO_SAMPLE_ENTRY_HEADER_SIZE, startAudioSampleEntry } from './audio-sample-entry.js';

describe('AudioSampleEntry (ISO/IEC 14496-12 §12.2.3)', () => {
  it.each([
    ['mp4a', 2, 48000, '0002', 'bb800000'],
    ['mp4a', 1, 8000, '0001', '1f400000'],
    ['Opus', 2, 48000, '0002', 'bb800000'],
    // 96 kHz does not fit the 16.16 field: 0, as ffmpeg writes it.
    ['mp4a', 2, 96000, '0002', '00000000'],
  ])('writes %s with %i channels at %i Hz byte-exactly', (fourcc, channels, rate, channelHex, rateHex) => {
    const written = boxHex(AUDIO_SAMPLE_ENTRY_HEADER_SIZE, (w) => {
      w.endBox(startAudioSampleEntry(w, fourcc, channels, rate));
    });
    expect(written).toBe(
      golden(
        `00000024 ${cc(fourcc)}`, // size 36
        '000000000000 0001', // reserved, data_reference_index 1
        '00000000 00000000', // reserved
        `${channelHex} 0010 0000 0000`, // channelcount, samplesize 16, pre_defined, reserved
        rateHex, // samplerate, 16.16
      ),
    );
  });
});
