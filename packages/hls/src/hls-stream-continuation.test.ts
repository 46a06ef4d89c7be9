import { Parser as M3u8Parser } from 'm3u8-parser';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { MAX_UNREPORTED_SEGMENTS, type StreamContinuation, type StreamPosition } from './continuation.js';
import { HlsStream, type HlsStreamOptions } from './hls-stream.js';
import { AUDIO_TRACK, VIDEO_TRACK, syntheticFrames } from './test-frames.js';
import { PlaylistHistory } from './test-playlist-rules.js';
import { expectPublishedMediaValid } from './test-published-media.js';
import type { HlsFrame, HlsResponse, RenditionName } from './types.js';

/**
 * A camera's stream continued by another process (a hand-over between gateway nodes): the new
 * stream picks up the numbering where the old one stopped, so its players carry on.
 */

/** Where the previous stream stopped in most tests: segment 2000, Discontinuity Sequence Number 3. */
const FROM = { msn: 2000, discontinuity: 3 } as const;
const WALLCLOCK = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A video + audio stream whose media is checked in mp4box at the end of the test. */
function stream(options: HlsStreamOptions & { audio?: boolean; video?: boolean } = {}): HlsStream {
  const { audio = true, video = true, ...rest } = options;
  const s = new HlsStream({ now: () => Date.now(), ...rest });
  if (video) s.setTrack(VIDEO_TRACK);
  if (audio) s.setTrack(AUDIO_TRACK);
  onTestFinished(async () => {
    if (s.ready && (await s.handle('index.m3u8')).status === 200) await expectPublishedMediaValid(s);
    s.close();
  });
  return s;
}

const continued = (final: boolean, more: Partial<StreamContinuation> = {}): StreamContinuation => ({
  ...FROM,
  final,
  ...more,
});

function push(s: HlsStream, frames: readonly HlsFrame[]): void {
  for (const frame of frames) s.push(frame);
}

/** The frames up to `seconds` of video (and the audio that arrived before), and the rest. */
function splitAt(frames: readonly HlsFrame[], seconds: number): [HlsFrame[], HlsFrame[]] {
  const cut = frames.findIndex((f) => f.kind === 'video' && f.dts >= seconds * 90_000);
  return cut < 0 ? [[...frames], []] : [frames.slice(0, cut), frames.slice(cut)];
}

const text = async (s: HlsStream, name: string, query = ''): Promise<string> => {
  const res = await s.handle(name, new URLSearchParams(query));
  expect(res.status).toBe(200);
  return res.body as string;
};

function parse(playlist: string) {
  const parser = new M3u8Parser();
  parser.push(playlist);
  parser.end();
  return parser.manifest;
}

/**
 * What a player counts from a playlist: the MSN of its last segment (the open one) and that
 * segment's Discontinuity Sequence Number (EXT-X-DISCONTINUITY-SEQUENCE plus the tags up to it).
 */
function counted(playlist: string): StreamPosition {
  const manifest = parse(playlist);
  const complete = manifest.segments.length;
  const open = manifest.preloadSegment?.parts?.length ? 1 : 0;
  const tags = playlist.split('\n').filter((l) => l === '#EXT-X-DISCONTINUITY').length;
  return {
    msn: (manifest.mediaSequence ?? 0) + complete + open - 1,
    discontinuity: (manifest.discontinuitySequence ?? 0) + tags,
  };
}

/** Every media name a playlist lists: init segments, segments, parts, and the hinted part unless `hint` is false. */
function names(playlist: string, hint = true): Set<string> {
  const found = new Set<string>();
  for (const line of playlist.split('\n')) {
    if (!hint && line.startsWith('#EXT-X-PRELOAD-HINT:')) continue;
    const uri = /URI="([^"]+\.(?:m4s|mp4))"/.exec(line)?.[1] ?? (line.endsWith('.m4s') ? line : undefined);
    if (uri !== undefined) found.add(uri);
  }
  return found;
}

describe('HlsStream continuing another stream (a hand-over)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('golden: MSNs, the Discontinuity Sequence Number, part names, hint and reports continue', async () => {
    const s = stream({ startMsn: 1000, continueFrom: continued(true) });
    push(s, splitAt(syntheticFrames({ seconds: 2 }), 1.8)[0]);
    const video = await text(s, 'video.m3u8');
    expect(video).toBe(`#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,HOLD-BACK=6.0,PART-HOLD-BACK=0.654
#EXT-X-PART-INF:PART-TARGET=0.218
#EXT-X-MEDIA-SEQUENCE:2001
#EXT-X-DISCONTINUITY-SEQUENCE:3
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="video-init-2001.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:00.000Z
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-1.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-2.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-3.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-4.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-5.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-6.m4s"
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-7.m4s"
#EXTINF:1.60000,
video-2001.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:01.600Z
#EXT-X-PART:DURATION=0.20000,URI="video-part-2001-8.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="video-part-2001-9.m4s"
#EXT-X-RENDITION-REPORT:URI="audio.m3u8",LAST-MSN=2002,LAST-PART=0
`);
    const audio = await text(s, 'audio.m3u8');
    expect(audio).toMatch(
      /^#EXT-X-MEDIA-SEQUENCE:2001\n#EXT-X-DISCONTINUITY-SEQUENCE:3\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="audio-init-2001.mp4"\n/m,
    );
    expect(audio).toMatch(/#EXT-X-PART:DURATION=0\.19200,URI="audio-part-2001-0\.m4s",INDEPENDENT=YES\n/);
    expect(audio).toMatch(/#EXT-X-PRELOAD-HINT:TYPE=PART,URI="audio-part-2001-9\.m4s"\n/);
    expect(audio).toMatch(/#EXT-X-RENDITION-REPORT:URI="video.m3u8",LAST-MSN=2002,LAST-PART=0\n$/);
    expect(await text(s, 'standard-video.m3u8')).toBe(`#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:2001
#EXT-X-DISCONTINUITY-SEQUENCE:3
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="video-init-2001.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:00.000Z
#EXTINF:1.60000,
video-2001.m4s
`);

    // m3u8-parser (video.js) reads the same numbers: DSN 4 for both segments, the hint, the report.
    for (const [playlist, other] of [
      [video, 'audio.m3u8'],
      [audio, 'video.m3u8'],
    ] as const) {
      const manifest = parse(playlist);
      expect(manifest.mediaSequence).toBe(2001);
      expect(manifest.discontinuitySequence).toBe(3);
      expect(manifest.discontinuityStarts).toEqual([0]);
      expect(manifest.segments.map((seg) => [seg.discontinuity ?? false, seg.timeline])).toEqual([[true, 4]]);
      expect(manifest.preloadSegment?.timeline).toBe(4);
      expect(manifest.preloadSegment?.preloadHints).toEqual([
        { type: 'PART', uri: playlist === video ? 'video-part-2001-9.m4s' : 'audio-part-2001-9.m4s' },
      ]);
      expect(manifest.renditionReports).toEqual([{ uri: other, lastMsn: 2002, lastPart: 0 }]);
    }
    // The rule checker on both (the first playlists of a stream list fewer than 6 segments).
    for (const [name, other] of [
      ['video', 'audio.m3u8'],
      ['audio', 'video.m3u8'],
    ] as const) {
      new PlaylistHistory().expectConforming(name === 'video' ? video : audio, {
        otherRenditions: [other],
        allow: ['min-segments'],
      });
    }
    expect(s.position).toEqual({ msn: 2002, discontinuity: 4 });
  });

  it('the hinted first part of the first segment is served under that name, and so is every later one', async () => {
    const s = stream({ continueFrom: continued(false) });
    const first = FROM.msn + 1 + MAX_UNREPORTED_SEGMENTS;
    const frames = syntheticFrames({ seconds: 4 });
    // The first GOP (1.6 s) fixes the timing: until then nothing is served; then the hint names the next part.
    const [before, after] = splitAt(frames, 1.8);
    push(s, before);
    const hint = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(await text(s, 'video.m3u8'))?.[1] as string;
    expect(hint).toBe(`video-part-${first}-9.m4s`);
    const held = s.handle(hint);
    push(s, after);
    expect((await held).status).toBe(200);
    const video = await text(s, 'video.m3u8');
    expect(video).toContain(`URI="video-part-${first}-0.m4s",INDEPENDENT=YES`);
    expect(video).toContain(`URI="${hint}"`);
    for (const name of names(video, false)) expect([name, (await s.handle(name)).status]).toEqual([name, 200]);
  });

  it.each([
    ['a graceful hand-over', true, 1],
    ['a crash (position reported before it)', false, 1 + MAX_UNREPORTED_SEGMENTS],
  ])(
    '%s: one player history across both streams conforms; no name is ever reused, even at 80 parts a segment',
    async (_what, final, skipped) => {
      // 100 ms parts, 8 s GOPs and segments: 80 parts a segment.
      const options = { partDurationMs: 100, segmentDurationMs: 8000 };
      const old = stream({ ...options, startMsn: 1000 });
      // Segments 1000 and 1001, a camera reconnect, 1002 (DSN 1), 1003 open (7.5 s).
      push(old, syntheticFrames({ seconds: 16, gop: 200 }));
      old.markDiscontinuity();
      push(old, splitAt(syntheticFrames({ seconds: 16, gop: 200, wallclockStart: WALLCLOCK + 16_000 }), 15.5)[0]);
      const history = { video: new PlaylistHistory(), audio: new PlaylistHistory() };
      const oldNames = new Set<string>();
      const newNames = new Set<string>();
      const load = async (s: HlsStream, name: RenditionName, allow: string[] = []) => {
        const playlist = await text(s, `${name}.m3u8`);
        const other = name === 'video' ? 'audio.m3u8' : 'video.m3u8';
        for (const uri of names(playlist)) (s === old ? oldNames : newNames).add(uri);
        return { playlist, violations: history[name].check(playlist, { otherRenditions: [other], allow }) };
      };
      for (const name of ['video', 'audio'] as const) {
        const { violations } = await load(old, name, ['min-segments']);
        expect(violations).toEqual([]);
      }
      const at = old.position as StreamPosition;
      expect(at).toEqual({ msn: 1003, discontinuity: 1 });
      // Numbered from 64 x the first MSN (as parts were once), the new stream's first part would
      // reuse a number of the old one's: it published more than 64 parts per MSN.
      const partCount = Math.max(...[...oldNames].map((n) => Number(/-part-\d+-(\d+)\.m4s$/.exec(n)?.[1] ?? 0))) + 1;
      expect(1000 * 64 + partCount).toBeGreaterThan((at.msn + 1) * 64);
      expect(at).toEqual(counted(await text(old, 'video.m3u8')));
      old.close();

      // The new owner: a new RTSP session (its timeline starts at 0), 2 s later by the wall clock.
      const nextWallclock = WALLCLOCK + 33_500;
      const next = stream({ ...options, continueFrom: { ...at, final } });
      let frames = syntheticFrames({ seconds: 50, gop: 200, wallclockStart: nextWallclock });
      let now: HlsFrame[];
      [now, frames] = splitAt(frames, 10);
      push(next, now);
      for (const name of ['video', 'audio'] as const) {
        const { playlist, violations } = await load(next, name, ['min-segments']);
        // What the new owner cannot help, as after any restart: the old one's hinted part is never
        // published (SHOULD), and its first playlist lists less than 3 x TD after the old segments
        // left. Nothing else breaks for the player.
        expect(violations.map((v) => [v.rule, v.level])).toEqual([
          ['playlist-too-short', 'must'],
          ['hint-not-used', 'should'],
        ]);
        const manifest = parse(playlist);
        expect(manifest.mediaSequence).toBe(at.msn + skipped);
        expect(manifest.discontinuitySequence).toBe(at.discontinuity);
        expect(manifest.segments[0]).toMatchObject({ discontinuity: true, timeline: at.discontinuity + 1 });
        expect(playlist).toContain(`#EXT-X-MAP:URI="${name}-init-${at.msn + skipped}.mp4"`);
      }
      // Later reloads, a second apart, conform without exception.
      for (let second = 11; frames.length > 0; second++) {
        [now, frames] = splitAt(frames, second);
        push(next, now);
        for (const name of ['video', 'audio'] as const)
          expect((await load(next, name, second < 50 ? ['min-segments'] : [])).violations).toEqual([]);
      }
      expect(newNames.size).toBeGreaterThan(100);
      expect([...newNames].filter((n) => oldNames.has(n))).toEqual([]);
      for (const name of oldNames) expect((await next.handle(name)).status).toBe(404);
      expect(next.position).toEqual(counted(await text(next, 'video.m3u8')));
    },
  );

  it('position: what a player counts; from the start in a continued stream; through a reconnect; never back', async () => {
    const fresh = stream({ startMsn: 1000 });
    expect(fresh.position).toBeUndefined();
    push(fresh, syntheticFrames({ seconds: 1 }));
    expect(fresh.position).toEqual({ msn: 1000, discontinuity: 0 });

    const s = stream({ continueFrom: continued(true) });
    // Before its first segment: just before its first MSN, with the previous stream's DSN.
    expect(s.position).toEqual({ msn: 2000, discontinuity: 3 });
    const seen: StreamPosition[] = [];
    const frames = syntheticFrames({ seconds: 6 });
    for (const frame of frames) {
      s.push(frame);
      seen.push(s.position as StreamPosition);
    }
    expect(s.position).toEqual({ msn: 2004, discontinuity: 4 });
    expect(s.position).toEqual(counted(await text(s, 'video.m3u8')));
    // A camera reconnect: the next segment follows a discontinuity (DSN 5); the position says so
    // once it opens.
    s.markDiscontinuity();
    expect(s.position).toEqual({ msn: 2004, discontinuity: 4 });
    const reconnected = syntheticFrames({ seconds: 3, wallclockStart: WALLCLOCK + 10_000 });
    for (const frame of reconnected) {
      s.push(frame);
      seen.push(s.position as StreamPosition);
    }
    expect(s.position).toEqual({ msn: 2006, discontinuity: 5 });
    expect(s.position).toEqual(counted(await text(s, 'video.m3u8')));
    expect(s.stats.discontinuities).toBe(1); // the reconnect; not the hand-over
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1] as StreamPosition, seen[i] as StreamPosition];
      expect(b.msn >= a.msn && b.discontinuity >= a.discontinuity).toBe(true);
    }
    s.end();
    expect(s.position).toEqual({ msn: 2006, discontinuity: 5 });
  });

  it('a stream continued before it published anything: the next one still starts past its names', async () => {
    // B took over from A (crash) and crashed itself before its first segment; C continues from B's
    // position, as recorded when it started.
    const b = stream({ continueFrom: continued(false) });
    const recorded = b.position as StreamPosition;
    expect(recorded).toEqual({ msn: FROM.msn + MAX_UNREPORTED_SEGMENTS, discontinuity: FROM.discontinuity });
    push(b, syntheticFrames({ seconds: 4 })); // published, never recorded
    const c = stream({ continueFrom: { ...recorded, final: false } });
    push(c, syntheticFrames({ seconds: 2, wallclockStart: WALLCLOCK + 10_000 }));
    const bNames = names(await text(b, 'video.m3u8'));
    const cNames = names(await text(c, 'video.m3u8'));
    expect([...cNames].filter((n) => bNames.has(n))).toEqual([]);
    expect(parse(await text(c, 'video.m3u8')).segments[0]).toMatchObject({
      discontinuity: true,
      timeline: FROM.discontinuity + 1,
    });
  });

  it('audio only: the first segment follows EXT-X-DISCONTINUITY too', async () => {
    const s = stream({ video: false, continueFrom: continued(true) });
    push(s, syntheticFrames({ seconds: 3, video: false }));
    const audio = await text(s, 'audio.m3u8');
    expect(audio).toMatch(
      /#EXT-X-DISCONTINUITY-SEQUENCE:3\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="audio-init-2001.mp4"/,
    );
    new PlaylistHistory().expectConforming(audio, { allow: ['min-segments'] });
    expect(s.position).toEqual(counted(audio));
    expect(s.position?.discontinuity).toBe(4);
  });

  describe('blocking reloads of a player that was blocked on the previous stream (§6.2.5.2)', () => {
    // Segment 2000 (the previous stream's last) was open with parts 0-6 published; its players
    // asked for part 7, or for 2001. The new stream has segment `first` open with 5 parts.
    const GAP = MAX_UNREPORTED_SEGMENTS;
    it.each<[final: boolean, query: string, answer: 'at once' | 'held' | 400, why: string]>([
      [false, '_HLS_msn=2000&_HLS_part=7', 'at once', 'the next part of the old open segment: before the first MSN'],
      [false, '_HLS_msn=2001', 'at once', 'the old N + 1: an MSN the new stream skipped'],
      [false, '_HLS_msn=2001&_HLS_part=0', 'at once', 'part 0 of N + 1'],
      [false, `_HLS_msn=${2000 + GAP}`, 'at once', 'the last skipped MSN'],
      [false, `_HLS_msn=${2000 + GAP}&_HLS_part=40`, 'at once', 'a far part of a skipped MSN'],
      [false, `_HLS_msn=${2000 + GAP}&_HLS_skip=YES`, 'at once', 'with a delta update'],
      [false, `_HLS_msn=${2001 + GAP}&_HLS_part=4`, 'at once', 'a published part of the first segment'],
      [false, `_HLS_msn=${2001 + GAP}&_HLS_part=5`, 'held', 'the next part of the first segment'],
      [false, `_HLS_msn=${2001 + GAP}`, 'held', 'the first segment, still open'],
      [false, `_HLS_msn=${2003 + GAP}`, 'held', 'two past the last: held (§6.2.5.2)'],
      [false, `_HLS_msn=${2004 + GAP}`, 400, 'three past the last'],
      [true, '_HLS_msn=2000&_HLS_part=7', 'at once', 'the next part of the old open segment'],
      [true, '_HLS_msn=2001&_HLS_part=4', 'at once', 'N + 1 is the first segment: a published part'],
      [true, '_HLS_msn=2001&_HLS_part=5', 'held', 'N + 1 is the first segment: the next part'],
      [true, '_HLS_msn=2001', 'held', 'N + 1, the first segment, still open'],
      [true, '_HLS_msn=2003', 'held', 'two past the last'],
      [true, '_HLS_msn=2004', 400, 'three past the last'],
    ])('final %s, %s: %s (%s)', async (final, query, answer) => {
      vi.useFakeTimers();
      const s = stream({ continueFrom: continued(final) });
      // 0.4 s GOPs in 2 s segments: the timing is known at 0.4 s, the first segment is open at 1 s.
      const [now, later] = splitAt(syntheticFrames({ seconds: 10, gop: 10 }), 1.0);
      push(s, now);
      let answered: HlsResponse | undefined;
      const pending = s.handle('video.m3u8', new URLSearchParams(query)).then((r) => (answered = r));
      await vi.advanceTimersByTimeAsync(0);
      if (answer === 400) {
        expect(answered?.status).toBe(400);
        return;
      }
      if (answer === 'at once') {
        expect(answered?.status).toBe(200);
        expect(s.stats.waiting).toBe(0);
      } else {
        expect(answered).toBeUndefined();
        expect(s.stats.waiting).toBe(1);
        push(s, later);
        await pending;
        expect(answered?.status).toBe(200);
      }
      new PlaylistHistory().expectConforming(answered?.body as string, {
        otherRenditions: ['audio.m3u8'],
        allow: ['min-segments'],
        ...(query.includes('_HLS_skip') ? { delta: 'YES' as const } : {}),
      });
    });

    it('before the new stream has its first parts, the request waits (readyTimeout), then is answered', async () => {
      vi.useFakeTimers();
      const s = stream({ continueFrom: continued(false), readyTimeoutMs: 5_000 });
      let answered: HlsResponse | undefined;
      const pending = s.handle('video.m3u8', new URLSearchParams('_HLS_msn=2001')).then((r) => (answered = r));
      await vi.advanceTimersByTimeAsync(3_000);
      expect(answered).toBeUndefined();
      push(s, splitAt(syntheticFrames({ seconds: 3 }), 1.8)[0]);
      await pending;
      expect(answered?.status).toBe(200);
      expect(answered?.headers['cache-control']).toBe('max-age=12');
      // Nothing comes: 503 after readyTimeout, as for any stream that has not started.
      const idle = stream({ continueFrom: continued(true), readyTimeoutMs: 5_000 });
      const late = idle.handle('video.m3u8', new URLSearchParams('_HLS_msn=2001'));
      await vi.advanceTimersByTimeAsync(5_001);
      expect((await late).status).toBe(503);
    });
  });
});
