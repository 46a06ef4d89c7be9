import { readdirSync, readFileSync } from 'node:fs';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { StreamContinuation } from './continuation.js';
import { continuation, event, runEvents, type Event } from './test-stream-events.js';

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

/** Streams the fuzz found failing (testdata/robustness/README.md), replayed on every run. */
const REGRESSIONS_DIR = new URL('../testdata/robustness/', import.meta.url);
const REGRESSIONS = readdirSync(REGRESSIONS_DIR)
  .filter((name) => name.endsWith('.json'))
  .map(
    (name) =>
      [
        name,
        // `continueFrom`: the second value of a counterexample, when the stream continued another.
        JSON.parse(readFileSync(new URL(name, REGRESSIONS_DIR), 'utf8')) as {
          events: Event[];
          continueFrom?: StreamContinuation | null;
        },
      ] as const,
  );

describe('HlsStream robustness', () => {
  it.each(REGRESSIONS)('regression: %s', async (_name, regression) => {
    (await runEvents(regression.events, undefined, regression.continueFrom ?? undefined)).close();
  });

  it(
    'fuzz: any frame sequence, in a stream of its own or continuing another: never throws, playlists stay conformant across reloads, media parses',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(event, { minLength: 50, maxLength: 600 }),
          continuation,
          async (events, continueFrom) => {
            (await runEvents(events, undefined, continueFrom)).close();
          },
        ),
        { numRuns: RUNS },
      );
    },
    fuzzTimeout(RUNS * 200),
  );
});
