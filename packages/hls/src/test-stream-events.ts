import { joinLengthPrefixed } from '@camgate/codecs';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { StreamContinuation, StreamPosition } from './continuation.js';
import { HlsStream } from './hls-stream.js';
import { AUDIO_TRACK, PPS, SPS, VIDEO_TRACK } from './test-frames.js';
import { PlaylistHistory } from './test-playlist-rules.js';
import { expectPublishedMediaValid } from './test-published-media.js';
import type { HlsFrame } from './types.js';

/**
 * Streams of events for the packager's robustness property (hls-stream-robustness.test.ts): what a
 * camera, through the RTSP client, can produce. Separate so a failing case can be replayed.
 */

export type Event =
  | { type: 'video'; step: number; key: boolean; reorder: number; discontinuity: boolean; size: number }
  | { type: 'audio'; step: number; discontinuity: boolean }
  | { type: 'reconnect' }
  | { type: 'config' }
  | { type: 'invalid'; which: number }
  | { type: 'check' };

export const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc.record({
      type: fc.constant('video' as const),
      // Mostly 40 ms with camera jitter; sometimes repeats, steps back, or jumps ahead.
      step: fc.oneof(
        { weight: 20, arbitrary: fc.integer({ min: 3600 - 200, max: 3600 + 200 }) },
        { weight: 1, arbitrary: fc.integer({ min: -90_000, max: 270_000 }) },
        { weight: 1, arbitrary: fc.constant(0) },
      ),
      key: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 25, arbitrary: fc.constant(false) }),
      reorder: fc.constantFrom(0, 0, 0, 3600, 7200),
      discontinuity: fc.oneof(
        { weight: 1, arbitrary: fc.constant(true) },
        { weight: 100, arbitrary: fc.constant(false) },
      ),
      size: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 40,
    arbitrary: fc.record({
      type: fc.constant('audio' as const),
      step: fc.oneof(
        { weight: 20, arbitrary: fc.constant(1024) },
        { weight: 1, arbitrary: fc.integer({ min: -48_000, max: 144_000 }) },
      ),
      discontinuity: fc.oneof(
        { weight: 1, arbitrary: fc.constant(true) },
        { weight: 100, arbitrary: fc.constant(false) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'reconnect' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'config' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('invalid' as const), which: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 3, arbitrary: fc.constant({ type: 'check' as const }) },
);

/** Where a stream continues another from, or undefined for a stream of its own. */
export const continuation: fc.Arbitrary<StreamContinuation | undefined> = fc.option(
  fc.record({
    msn: fc.nat({ max: 10_000_000 }),
    discontinuity: fc.nat({ max: 1000 }),
    final: fc.boolean(),
  }),
  { nil: undefined, freq: 2 },
);

export function videoData(key: boolean, size: number): Uint8Array {
  const nals = key ? [SPS, PPS, new Uint8Array(size).fill(0x65, 0, 1)] : [new Uint8Array(size).fill(0x41, 0, 1)];
  const data = joinLengthPrefixed(nals);
  return data;
}

const INVALID: Array<(frame: HlsFrame) => HlsFrame> = [
  (f) => ({ ...f, dts: Number.NaN }),
  (f) => ({ ...f, pts: f.dts - 1 }),
  (f) => ({ ...f, data: new Uint8Array(0) }),
  (f) => ({ ...f, dts: 2 ** 60, pts: 2 ** 60 }),
  (f) => ({ ...f, dts: 0.5 }),
];

/**
 * Plays `events` into a fresh stream (continuing another from `continueFrom`, if given), checking
 * every playlist against the rules (with reload history) at each `check` event and at the end, then
 * every served init, part and segment, and that the stream's position never goes back and is what
 * the playlist counts. `log` receives a playlist that breaks a rule.
 */
export async function runEvents(
  events: readonly Event[],
  log?: (text: string) => void,
  continueFrom?: StreamContinuation,
): Promise<HlsStream> {
  const stream = new HlsStream({
    startMsn: 1000,
    segmentCount: 4,
    now: () => 0,
    ...(continueFrom === undefined ? {} : { continueFrom }),
  });
  stream.setTrack(VIDEO_TRACK);
  stream.setTrack(AUDIO_TRACK);
  const histories = { video: new PlaylistHistory(), audio: new PlaylistHistory() };
  const standardHistories = { video: new PlaylistHistory(), audio: new PlaylistHistory() };
  let videoDts = 0;
  let audioDts = 0;
  let wallclock = Date.UTC(2026, 10, 23, 12, 0, 0);
  let ppsVersion = 0;
  let position: StreamPosition | undefined = stream.position;
  const positionMoves = () => {
    const now = stream.position;
    if (position !== undefined) expect(now !== undefined && now.msn >= position.msn).toBe(true);
    if (position !== undefined && now !== undefined)
      expect(now.discontinuity).toBeGreaterThanOrEqual(position.discontinuity);
    position = now;
  };
  const check = async () => {
    if (!stream.ready) return;
    for (const name of ['video', 'audio'] as const) {
      const res = await stream.handle(`${name}.m3u8`);
      expect(res.status).toBe(200);
      if (name === 'video') expectPositionCounted(stream.position, res.body as string);
      const violations = histories[name].check(res.body as string, {
        otherRenditions: [name === 'video' ? 'audio.m3u8' : 'video.m3u8'],
      });
      const must = violations.filter((v) => v.level !== 'should');
      if (must.length > 0) log?.(`${name}.m3u8:\n${String(res.body)}\n${JSON.stringify(must, null, 1)}\n`);
      expect(must).toEqual([]);
      // The standard playlist too, once a segment is complete (before that, its request would wait).
      if (!(res.body as string).includes('#EXTINF:')) continue;
      const standard = await stream.handle(`standard-${name}.m3u8`);
      expect(standard.status).toBe(200);
      const standardMust = standardHistories[name]
        .check(standard.body as string, { lowLatency: false })
        .filter((v) => v.level !== 'should');
      if (standardMust.length > 0)
        log?.(`standard-${name}.m3u8:\n${String(standard.body)}\n${JSON.stringify(standardMust, null, 1)}\n`);
      expect(standardMust).toEqual([]);
    }
  };
  for (const e of events) {
    switch (e.type) {
      case 'video':
        videoDts += e.step;
        wallclock += 40;
        stream.push({
          kind: 'video',
          dts: videoDts,
          pts: videoDts + e.reorder,
          keyframe: e.key,
          discontinuity: e.discontinuity,
          wallclock,
          data: videoData(e.key, e.size),
        });
        break;
      case 'audio':
        audioDts += e.step;
        stream.push({
          kind: 'audio',
          dts: audioDts,
          pts: audioDts,
          keyframe: true,
          discontinuity: e.discontinuity,
          wallclock,
          data: new Uint8Array(200).fill(0x21),
        });
        break;
      case 'reconnect':
        stream.markDiscontinuity();
        wallclock += 5000;
        break;
      case 'config':
        stream.setTrack({
          ...VIDEO_TRACK,
          config: { kind: 'video', codec: 'h264', sps: SPS, pps: Uint8Array.from([...PPS, ++ppsVersion & 0xff]) },
        });
        break;
      case 'invalid':
        stream.push(
          (INVALID[e.which] as (f: HlsFrame) => HlsFrame)({
            kind: 'video',
            dts: videoDts,
            pts: videoDts,
            keyframe: true,
            discontinuity: false,
            wallclock,
            data: videoData(true, 10),
          }),
        );
        break;
      case 'check':
        await check();
        break;
    }
    positionMoves();
  }
  await check();
  stream.end();
  await check();
  if (stream.ready) await expectPublishedMediaValid(stream);
  return stream;
}

/**
 * The position is the last segment the playlist lists (or one the segmenter opened since, with
 * no part yet), with the Discontinuity Sequence Number a player counts for it.
 */
function expectPositionCounted(position: StreamPosition | undefined, playlist: string): void {
  let msn = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
  let dsn = Number(/^#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
  let last: StreamPosition | undefined;
  for (const line of playlist.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') dsn++;
    else if (line.startsWith('#EXT-X-PART:')) last = { msn, discontinuity: dsn };
    else if (line !== '' && !line.startsWith('#')) last = { msn: msn++, discontinuity: dsn };
  }
  expect(position).toBeDefined();
  expect(last).toBeDefined();
  const [at, listed] = [position as StreamPosition, last as StreamPosition];
  if (at.msn === listed.msn) expect(at).toEqual(listed);
  else expect(at.msn).toBeGreaterThan(listed.msn);
}
