import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { event, runEvents } from './test-stream-events.js';

/**
 * The packager under whatever a camera (through the RTSP client) can produce: jittery, stalling,
 * jumping and repeating timestamps, keyframes at odd intervals or none for long, B-frame offsets,
 * discontinuities, codec changes, audio dropouts, and invalid frames. It must never throw, and
 * everything it serves must stay conformant across reloads and parse in mp4box.
 */
/**
 * Each input is a whole stream of up to 600 frames, checked across reloads and parsed in mp4box
 * (about 20 ms): `pnpm fuzz` (1e6 per parser) runs 10,000 of them.
 */
const RUNS = Math.max(200, Math.floor(fuzzRuns(200) / 100));

describe('HlsStream robustness', () => {
  it(
    'fuzz: any frame sequence: never throws, playlists stay conformant across reloads, media parses',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 50, maxLength: 600 }), async (events) => {
          (await runEvents(events)).close();
        }),
        { numRuns: RUNS },
      );
    },
    fuzzTimeout(RUNS * 200),
  );
});
