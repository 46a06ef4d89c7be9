import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { HlsStream, type HlsStreamOptions } from './hls-stream.js';
import { AUDIO_TRACK, PPS, SPS, VIDEO_TRACK, syntheticFrames } from './test-frames.js';
import { PlaylistHistory, checkMultivariantPlaylist } from './test-playlist-rules.js';
import { openSegment } from './test-support.js';
import { expectPublishedMediaValid } from './test-published-media.js';
import type { HlsFrame, HlsResponse } from './types.js';

const START = 1000;

/** A stream with video + audio and a clock the test controls (fake timers drive Date.now). */
function setup(options: HlsStreamOptions & { audio?: boolean; video?: boolean } = {}) {
  const { audio = true, video = true, ...rest } = options;
  const stream = new HlsStream({ startMsn: START, now: () => Date.now(), ...rest });
  if (video) stream.setTrack(VIDEO_TRACK);
  if (audio) stream.setTrack(AUDIO_TRACK);
  // Whatever the test did, everything the stream still serves must parse in mp4box with the CODECS
  // of the multivariant playlist, segments must equal their parts, and tfdt must never go back.
  onTestFinished(async () => {
    if (stream.ready && (await stream.handle('index.m3u8')).status === 200) await expectPublishedMediaValid(stream);
  });
  const histories = { video: new PlaylistHistory(), audio: new PlaylistHistory() };
  /** Fetches a playlist and runs the rule checker on it (with the reload history of that rendition). */
  const playlist = async (name: 'video' | 'audio', query = '') => {
    const res = await stream.handle(`${name}.m3u8`, new URLSearchParams(query));
    if (res.status === 200) {
      const other = name === 'video' ? 'audio.m3u8' : 'video.m3u8';
      const violations = histories[name].check(res.body as string, {
        otherRenditions: (name === 'video' ? audio : video) ? [other] : [],
        ...(query.includes('_HLS_skip=YES')
          ? { delta: 'YES' as const }
          : query.includes('_HLS_skip=v2')
            ? { delta: 'v2' as const }
            : {}),
      });
      expect(violations.filter((v) => v.level !== 'should')).toEqual([]);
    }
    return res;
  };
  return { stream, playlist };
}

function push(stream: HlsStream, frames: readonly HlsFrame[]): void {
  for (const frame of frames) stream.push(frame);
}

const body = (res: HlsResponse) => res.body as string;
const lines = (res: HlsResponse) => body(res).trim().split('\n');

interface ListedPart {
  msn: number;
  index: number;
  uri: string;
}

/**
 * Where each part and the preload hint sit (MSN, index in the segment), read from the playlist's
 * structure: part URIs are numbered across segments, so their names do not say.
 */
function listing(text: string): { parts: ListedPart[]; hint: ListedPart | undefined; segments: Map<number, string> } {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
  let index = 0;
  const parts: ListedPart[] = [];
  const segments = new Map<number, string>();
  let hint: ListedPart | undefined;
  for (const line of text.split('\n')) {
    const uri = /URI="([^"]+)"/.exec(line)?.[1] ?? '';
    if (line.startsWith('#EXT-X-SKIP:')) msn += Number(/SKIPPED-SEGMENTS=(\d+)/.exec(line)?.[1]);
    else if (line.startsWith('#EXT-X-PART:')) parts.push({ msn, index: index++, uri });
    else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) hint = { msn, index, uri };
    else if (line !== '' && !line.startsWith('#')) {
      segments.set(msn++, line);
      index = 0;
    }
  }
  return { parts, hint, segments };
}

describe('HlsStream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('segmenting', () => {
    it('1.6 s GOPs: 1.6 s segments of eight 200 ms parts; audio parts of 9-10 AAC frames on the same indices', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 6 }));
      expect(stream.timing).toMatchObject({
        targetDuration: 2,
        partTarget: 0.218,
        partHoldBack: 0.654,
        holdBack: 6,
        canSkipUntil: 12,
      });
      const video = lines(await playlist('video'));
      const audio = lines(await playlist('audio'));
      expect(video.filter((l) => l.startsWith('#EXTINF'))).toEqual([
        '#EXTINF:1.60000,',
        '#EXTINF:1.60000,',
        '#EXTINF:1.60000,',
      ]);
      expect(video.filter((l) => l.startsWith('#EXT-X-PART:')).length).toBe(30);
      const audioParts = audio.filter((l) => l.startsWith('#EXT-X-PART:')).map((l) => /DURATION=([\d.]+)/.exec(l)?.[1]);
      expect(new Set(audioParts)).toEqual(new Set(['0.19200', '0.21333']));
      // The same MSNs and part indices in both renditions.
      const positions = (ls: string[]) => listing(ls.join('\n')).parts.map((p) => `${p.msn}.${p.index}`);
      expect(positions(audio)).toEqual(positions(video));
      expect(checkMultivariantPlaylist(body(await stream.handle('index.m3u8')))).toEqual([]);
    });

    it('multivariant playlist: CODECS from the configs, RESOLUTION, FRAME-RATE, audio group', async () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      const text = body(await stream.handle('index.m3u8'));
      expect(text).toMatch(/^#EXT-X-INDEPENDENT-SEGMENTS$/m);
      expect(text).toMatch(
        /^#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio.m3u8"$/m,
      );
      expect(text).toMatch(
        /^#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1.4d400d,mp4a.40.2",RESOLUTION=320x240,FRAME-RATE=25.000,AUDIO="audio"\nvideo.m3u8$/m,
      );
    });

    it('TD = ceil(max(configured segment, first GOP)): a 4.4 s GOP gives TD 5', () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 10, gop: 110 }));
      expect(stream.timing?.targetDuration).toBe(5);
    });

    it('short GOPs are gathered into segments of the configured duration', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 7, gop: 10 }));
      expect(lines(await playlist('video')).filter((l) => l.startsWith('#EXTINF'))).toEqual([
        '#EXTINF:2.00000,',
        '#EXTINF:2.00000,',
        '#EXTINF:2.00000,',
      ]);
    });

    it('a GOP that outgrows TD is cut without a keyframe before TD + 0.5 s (counted), TD unchanged', async () => {
      const { stream, playlist } = setup();
      // 1.6 s GOPs, then keyframes stop.
      const frames = syntheticFrames({ seconds: 12, gop: 40 }).map((f) =>
        f.kind === 'video' && f.keyframe && f.dts > 4 * 90_000 ? { ...f, keyframe: false } : f,
      );
      push(stream, frames);
      expect(stream.stats.forcedCuts).toBeGreaterThan(0);
      const extinf = lines(await playlist('video'))
        .filter((l) => l.startsWith('#EXTINF'))
        .map((l) => Number(/:([\d.]+)/.exec(l)?.[1]));
      expect(Math.max(...extinf)).toBeLessThan(2.5);
      expect(stream.timing?.targetDuration).toBe(2);
      // Such segments do not start with a keyframe: the multivariant playlists stop claiming so.
      for (const name of ['index.m3u8', 'standard.m3u8']) {
        expect(body(await stream.handle(name))).not.toMatch(/EXT-X-INDEPENDENT-SEGMENTS/);
      }
    });

    it('camera timestamp jitter of +-2 ms: every part stays within PART-TARGET (rule checker), video gapless', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 8, jitter: 180 }));
      await playlist('video');
      await playlist('audio');
      const [video] = await expectPublishedMediaValid(stream);
      // Each video fragment starts exactly where the previous one ended: no gaps for players to skip.
      const trafs = video?.readings.flatMap((r) => r.read.fragments.flatMap((f) => f.trafs)) ?? [];
      expect(trafs.length).toBeGreaterThan(20);
      for (let i = 1; i < trafs.length; i++) {
        const prev = trafs[i - 1]!;
        const duration = prev.truns.reduce((n, t) => n + t.durations.reduce((a, b) => a + b, 0), 0);
        expect(trafs[i]?.baseMediaDecodeTime).toBe(prev.baseMediaDecodeTime + duration);
      }
    });

    it('29.97 fps (measured; the SPS has no frame rate): parts of 6 frames', () => {
      const stream = new HlsStream({ startMsn: START });
      const { fps: _fps, ...withoutFps } = VIDEO_TRACK;
      stream.setTrack(withoutFps);
      stream.setTrack(AUDIO_TRACK);
      push(stream, syntheticFrames({ seconds: 5, fps: 30_000 / 1001, gop: 60 }));
      expect(stream.timing).toMatchObject({ framesPerPart: 6, partTarget: 0.218 });
    });

    it('audio dropout: GAP parts keep the indices aligned', async () => {
      const { stream, playlist } = setup();
      const frames = syntheticFrames({ seconds: 6 }).filter(
        (f) => !(f.kind === 'audio' && f.dts > 2 * 48_000 && f.dts < 3.5 * 48_000),
      );
      push(stream, frames);
      const audio = body(await playlist('audio'));
      expect(audio).toMatch(/GAP=YES/);
      expect(stream.stats.gapParts).toBeGreaterThan(3);
    });

    it('video only and audio only streams', async () => {
      const v = setup({ audio: false });
      push(v.stream, syntheticFrames({ seconds: 4, audio: false }));
      expect(body(await v.playlist('video'))).not.toMatch(/RENDITION-REPORT/);
      expect(body(await v.stream.handle('index.m3u8'))).toMatch(/CODECS="avc1.4d400d",RESOLUTION=320x240/);
      const a = setup({ video: false });
      push(a.stream, syntheticFrames({ seconds: 4, video: false }));
      expect(a.stream.timing).toMatchObject({ targetDuration: 2, framesPerPart: 9 });
      expect(body(await a.playlist('audio'))).toMatch(/#EXTINF:1\.92000,/);
      expect(body(await a.stream.handle('index.m3u8'))).toMatch(/CODECS="mp4a.40.2"\naudio.m3u8/);
    });
  });

  describe('blocking playlist reload (§6.2.5.2)', () => {
    it('holds _HLS_msn/_HLS_part until that part is published, then answers', async () => {
      vi.useFakeTimers();
      const { stream, playlist } = setup();
      const frames = syntheticFrames({ seconds: 6 });
      push(stream, frames.slice(0, 200));
      const { msn, index } = listing(body(await playlist('video'))).parts.at(-1) as ListedPart;
      let answered: HlsResponse | undefined;
      const held = playlist('video', `_HLS_msn=${msn}&_HLS_part=${index + 1}`).then((r) => (answered = r));
      await vi.advanceTimersByTimeAsync(10);
      expect(answered).toBeUndefined();
      push(stream, frames.slice(200));
      await held;
      expect(answered?.status).toBe(200);
      const next = listing(body(answered!)).parts.find((p) => p.msn === msn && p.index === index + 1);
      // Either part index+1 of that segment, or (the segment ended) part 0 of the next one.
      expect(next ?? listing(body(answered!)).parts.find((p) => p.msn === msn + 1 && p.index === 0)).toBeDefined();
      expect(answered?.headers['cache-control']).toBe('max-age=12'); // 6 x TD for a blocking answer
    });

    it('a part index past the end of a segment means part 0 of the next', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      const res = await playlist('video', `_HLS_msn=${START}&_HLS_part=20`);
      expect(res.status).toBe(200);
      expect(listing(body(res)).parts.some((p) => p.msn === START + 1 && p.index === 0)).toBe(true);
    });

    it('a too-old MSN gets the full playlist at once', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      expect((await playlist('video', '_HLS_msn=5')).status).toBe(200);
    });

    it.each([
      ['_HLS_part=1', '_HLS_part without _HLS_msn'],
      [`_HLS_msn=${START + 5}`, 'MSN more than two past the last'],
      [`_HLS_msn=${START + 2}&_HLS_part=30`, 'past the advance part limit'],
      ['_HLS_msn=abc', 'not a number'],
    ])('400 for %s (%s)', async (query) => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 2 }));
      const res = await stream.handle('video.m3u8', new URLSearchParams(query));
      expect(res.status).toBe(400);
    });

    it('503 after 3 x TD when the camera stalls, and 200 again once it resumes', async () => {
      vi.useFakeTimers();
      const { stream } = setup();
      const frames = syntheticFrames({ seconds: 6 });
      push(stream, frames.slice(0, 150));
      const next = stream.handle('video.m3u8', new URLSearchParams(`_HLS_msn=${START + 3}`));
      await vi.advanceTimersByTimeAsync(5_999);
      expect(stream.stats.waiting).toBe(1);
      await vi.advanceTimersByTimeAsync(2);
      const res = await next;
      expect(res.status).toBe(503);
      expect(res.headers['cache-control']).toBe('max-age=8'); // 4 x TD for a failed blocking request
      expect(stream.stats.waiting).toBe(0);
    });

    it('wakes 5000 waiters with one publish, each with the same playlist', async () => {
      const { stream } = setup();
      const frames = syntheticFrames({ seconds: 6 });
      push(stream, frames.slice(0, 250));
      const hint = listing(body(await stream.handle('video.m3u8'))).hint as ListedPart;
      const query = new URLSearchParams(`_HLS_msn=${hint.msn}&_HLS_part=${hint.index}`);
      const held = Array.from({ length: 5000 }, () => stream.handle('video.m3u8', query));
      await Promise.resolve();
      expect(stream.stats.waiting).toBe(5000);
      push(stream, frames.slice(250));
      const answers = await Promise.all(held);
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(stream.stats.waiting).toBe(0);
    });

    it('waits for a stream that has not started, then answers (bounded)', async () => {
      vi.useFakeTimers();
      const { stream } = setup({ readyTimeoutMs: 5_000 });
      const pending = stream.handle('video.m3u8');
      await vi.advanceTimersByTimeAsync(100);
      push(stream, syntheticFrames({ seconds: 3 }));
      expect((await pending).status).toBe(200);
      const never = setup({ readyTimeoutMs: 5_000 });
      const late = never.stream.handle('index.m3u8');
      await vi.advanceTimersByTimeAsync(5_001);
      expect((await late).status).toBe(503);
    });

    it('holds a media playlist asked for before the stream knows its tracks (a player arriving from another node)', async () => {
      vi.useFakeTimers();
      const { stream } = setup({ video: false, audio: false, readyTimeoutMs: 5_000 });
      const pending = stream.handle('video.m3u8', new URLSearchParams(`_HLS_msn=${START}&_HLS_part=0`));
      await vi.advanceTimersByTimeAsync(100);
      stream.setTrack(VIDEO_TRACK);
      stream.setTrack(AUDIO_TRACK);
      push(stream, syntheticFrames({ seconds: 3 }));
      expect((await pending).status).toBe(200);
      // A rendition the camera does not have is still a 404, once the stream knows.
      const videoOnly = setup({ audio: false, readyTimeoutMs: 5_000 });
      const audio = videoOnly.stream.handle('audio.m3u8');
      push(videoOnly.stream, syntheticFrames({ seconds: 3, audio: false }));
      expect((await audio).status).toBe(404);
    });

    it('ignores directives after EXT-X-ENDLIST', async () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 3 }));
      stream.end();
      const res = await stream.handle('video.m3u8', new URLSearchParams(`_HLS_msn=${START + 2}&_HLS_part=0`));
      expect(res.status).toBe(200);
      expect(body(res)).toMatch(/#EXT-X-ENDLIST\n/);
      expect(body(res)).not.toMatch(/PRELOAD-HINT/);
    });

    it('close() releases every held request (404) and answers 404 afterwards', async () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 2 }));
      const held = [
        stream.handle('video.m3u8', new URLSearchParams(`_HLS_msn=${START + 2}`)),
        stream.handle('audio.m3u8', new URLSearchParams(`_HLS_msn=${START + 2}`)),
      ];
      await Promise.resolve();
      stream.close();
      expect((await Promise.all(held)).map((r) => r.status)).toEqual([404, 404]);
      expect(stream.stats.waiting).toBe(0);
      expect((await stream.handle('video.m3u8')).status).toBe(404);
    });
  });

  describe('delta updates (_HLS_skip)', () => {
    it('replaces segments before the skip boundary with EXT-X-SKIP and restates the MAP', async () => {
      const { stream, playlist } = setup({ segmentCount: 12 });
      push(stream, syntheticFrames({ seconds: 22 }));
      const full = body(await playlist('video'));
      const delta = body(await playlist('video', '_HLS_skip=YES'));
      const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)/.exec(delta)?.[1]);
      expect(skipped).toBeGreaterThan(0);
      expect(delta.split('\n').filter((l) => l.startsWith('#EXTINF')).length).toBe(
        full.split('\n').filter((l) => l.startsWith('#EXTINF')).length - skipped,
      );
      expect(delta).toMatch(/#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+\n#EXT-X-MAP:URI="video-init-1000.mp4"/);
      const v2 = body(await playlist('video', '_HLS_skip=v2'));
      expect(v2).toMatch(/^#EXT-X-VERSION:10$/m);
      expect(v2).toMatch(/RECENTLY-REMOVED-DATERANGES=""/);
    });
  });

  describe('media', () => {
    it('serves init segments, parts and segments; a segment is its parts in order', async () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      const init = await stream.handle('video-init-1000.mp4');
      expect([init.status, init.headers['content-type']]).toEqual([200, 'video/mp4']);
      const segment = await stream.handle(`video-${START}.m4s`);
      const listed = listing(body(await stream.handle('video.m3u8'))).parts.filter((p) => p.msn === START);
      expect(listed).toHaveLength(8);
      const parts = await Promise.all(listed.map((p) => stream.handle(p.uri)));
      expect(Buffer.concat(segment.body as Uint8Array[])).toEqual(
        Buffer.concat(parts.map((p) => p.body as Uint8Array)),
      );
      expect((await stream.handle('audio-init-1000.mp4')).headers['content-type']).toBe('audio/mp4');
      expect(segment.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it('a GET on the hinted part is held until the part is complete, then gets all of it', async () => {
      const { stream } = setup();
      const frames = syntheticFrames({ seconds: 4 });
      push(stream, frames.slice(0, 250));
      const hint = (listing(body(await stream.handle('video.m3u8'))).hint as ListedPart).uri;
      let answer: HlsResponse | undefined;
      const held = stream.handle(hint).then((r) => (answer = r));
      await Promise.resolve();
      expect(answer).toBeUndefined();
      push(stream, frames.slice(250));
      await held;
      expect(answer?.status).toBe(200);
      expect(answer?.body).toEqual((await stream.handle(hint)).body);
    });

    it('a hint made at the end of a segment names the first part of the next segment, and is served', async () => {
      const { stream } = setup();
      const frames = syntheticFrames({ seconds: 4 });
      // Up to the end of the second segment's frames (the first GOP sets the timing, so the playlist
      // exists from then on); the hint then names the next part wherever it lands.
      const cut = frames.findIndex((f) => f.kind === 'video' && f.dts >= 3.2 * 90_000);
      push(stream, frames.slice(0, cut));
      const before = listing(body(await stream.handle('video.m3u8')));
      const held = stream.handle((before.hint as ListedPart).uri);
      push(stream, frames.slice(cut));
      const answer = await held;
      expect(answer.status).toBe(200);
      const after = listing(body(await stream.handle('video.m3u8')));
      const landed = after.parts.find((p) => p.uri === before.hint?.uri);
      expect(landed).toMatchObject({ msn: START + 2, index: 0 });
    });

    it('a hint still pending at EXT-X-ENDLIST gets 404; unknown and future names 404 at once', async () => {
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 3 }));
      const { hint, parts } = listing(body(await stream.handle('video.m3u8')));
      const held = stream.handle((hint as ListedPart).uri);
      await Promise.resolve();
      stream.end();
      expect((await held).status).toBe(404);
      const lastNumber = Number(/-(\d+)\.m4s/.exec((parts.at(-1) as ListedPart).uri)?.[1]);
      expect((await stream.handle(`video-part-${lastNumber + 5}.m4s`)).status).toBe(404);
      expect((await stream.handle(`video-${START + 50}.m4s`)).status).toBe(404);
      expect((await stream.handle('nope.m4s')).status).toBe(404);
    });
  });

  describe('standard playlists (whole segments, no low-latency delivery)', () => {
    const standard = async (stream: HlsStream, name: string, query = '') =>
      stream.handle(`standard${name}.m3u8`, new URLSearchParams(query));

    it('list the complete segments of the LL-HLS playlists, and conform as standard HLS', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 13 }));
      const history = { video: new PlaylistHistory(), audio: new PlaylistHistory() };
      const texts: Record<string, string> = {};
      for (const name of ['video', 'audio'] as const) {
        const res = await standard(stream, `-${name}`);
        expect([res.status, res.headers['content-type'], res.headers['cache-control']]).toEqual([
          200,
          'application/vnd.apple.mpegurl',
          'max-age=1',
        ]);
        texts[`standard-${name}.m3u8`] = body(res);
        history[name].expectConforming(body(res), { lowLatency: false });
        // The same segments (URIs, durations, dates) as the LL-HLS playlist, and nothing of the open one.
        const ll = listing(body(await playlist(name))).segments;
        expect(listing(body(res)).segments).toEqual(ll);
        expect(body(res)).not.toMatch(/#EXT-X-(PART|PRELOAD-HINT|SERVER-CONTROL|RENDITION-REPORT)/);
        expect(body(res)).toMatch(/^#EXT-X-VERSION:7$/m);
      }
      const multivariant = body(await standard(stream, ''));
      expect(multivariant).toMatch(/^#EXT-X-VERSION:7$/m);
      expect(multivariant).toMatch(/URI="standard-audio\.m3u8"/);
      expect(multivariant).toMatch(/\nstandard-video\.m3u8\n$/);
      expect(checkMultivariantPlaylist(multivariant, { mediaPlaylists: texts, lowLatency: false })).toEqual([]);
      // The media they list is the same files, served as usual.
      const first = listing(texts['standard-video.m3u8'] as string)
        .segments.values()
        .next().value as string;
      expect((await stream.handle(first)).status).toBe(200);

      // Reloads follow the stream, across a reconnect too; the end is EXT-X-ENDLIST.
      stream.markDiscontinuity();
      push(stream, syntheticFrames({ seconds: 4, wallclockStart: Date.UTC(2026, 10, 23, 12, 1, 0) }));
      stream.end();
      for (const name of ['video', 'audio'] as const) {
        const text = body(await standard(stream, `-${name}`));
        history[name].expectConforming(text, { lowLatency: false });
        expect(text).toMatch(/^#EXT-X-DISCONTINUITY$/m);
        expect(text).toMatch(/#EXT-X-ENDLIST\n$/);
      }
    });

    it('answer at once whatever the query: delivery directives are not advertised', async () => {
      vi.useFakeTimers();
      const { stream } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      // The segment after the one being built: an LL-HLS playlist request would be held for it.
      const next = openSegment(body(await stream.handle('video.m3u8'))).msn + 1;
      let answered: HlsResponse | undefined;
      void standard(stream, '-video', `_HLS_msn=${next}&_HLS_part=3`).then((r) => (answered = r));
      // No time passes: a request held for that MSN would still be waiting.
      await vi.advanceTimersByTimeAsync(0);
      expect(answered?.status).toBe(200);
      expect(stream.stats.waiting).toBe(0);
    });

    it('the first request waits for the first complete segment; 503 if none comes in time, 404 once closed', async () => {
      vi.useFakeTimers();
      const { stream } = setup({ readyTimeoutMs: 5000 });
      // 0.4 s GOPs gathered into 2 s segments: after the first GOP, the LL-HLS playlist is served
      // (its parts exist) but no segment is complete.
      const frames = syntheticFrames({ seconds: 4, gop: 10 });
      const open = frames.findIndex((f) => f.kind === 'video' && f.dts >= 1 * 90_000);
      push(stream, frames.slice(0, open));
      expect(stream.ready).toBe(true);
      let answered: HlsResponse | undefined;
      const held = standard(stream, '-video').then((r) => (answered = r));
      await vi.advanceTimersByTimeAsync(10);
      expect(answered).toBeUndefined();
      push(stream, frames.slice(open));
      await held;
      expect(answered?.status).toBe(200);
      expect(listing(body(answered!)).segments.size).toBeGreaterThan(0);

      const idle = setup({ readyTimeoutMs: 5000 }).stream;
      const timedOut = standard(idle, '-video');
      await vi.advanceTimersByTimeAsync(5001);
      expect((await timedOut).status).toBe(503);
      const closing = standard(idle, '-audio');
      idle.close();
      expect((await closing).status).toBe(404);
      expect((await standard(idle, '')).status).toBe(404);
    });
  });

  describe('discontinuities and retention', () => {
    it('camera reconnect: DISCONTINUITY, MSNs continue, DISCONTINUITY-SEQUENCE counts once it leaves', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      stream.markDiscontinuity();
      // The new session's timeline starts at 0 again.
      push(stream, syntheticFrames({ seconds: 20, wallclockStart: Date.UTC(2026, 10, 23, 12, 1, 0) }));
      const video = body(await playlist('video'));
      expect(video).toMatch(/^#EXT-X-DISCONTINUITY-SEQUENCE:1$/m);
      expect(stream.stats.discontinuities).toBe(1);
      const audio = body(await playlist('audio'));
      expect(audio).toMatch(/^#EXT-X-DISCONTINUITY-SEQUENCE:1$/m);
    });

    it('a discontinuity is tagged in both renditions at the same segment', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      stream.markDiscontinuity();
      push(stream, syntheticFrames({ seconds: 4, wallclockStart: Date.UTC(2026, 10, 23, 12, 1, 0) }));
      const tagged = (text: string) =>
        text.split('\n').findIndex((l, i, all) => all[i - 1] === '#EXT-X-DISCONTINUITY' && l.startsWith('#EXT-X-'));
      const v = body(await playlist('video'));
      const a = body(await playlist('audio'));
      expect(v.split('\n').filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);
      expect(a.split('\n').filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);
      expect(tagged(v)).toBeGreaterThan(0);
      // The first segment URI after the tag names the same MSN in both.
      const segmentAfter = (text: string) =>
        text
          .split('\n')
          .slice(text.split('\n').indexOf('#EXT-X-DISCONTINUITY'))
          .find((l) => /^\w+-\d+\.m4s$/.test(l));
      expect(/-(\d+)\.m4s/.exec(segmentAfter(v) ?? '')?.[1]).toBe(/-(\d+)\.m4s/.exec(segmentAfter(a) ?? '')?.[1]);
    });

    it('a codec configuration change: DISCONTINUITY and a new init under a new MAP URI', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      stream.setTrack({
        ...VIDEO_TRACK,
        config: { kind: 'video', codec: 'h264', sps: SPS, pps: Uint8Array.from([...PPS, 0x80]) },
      });
      push(stream, syntheticFrames({ seconds: 4, start: 4 }));
      const video = body(await playlist('video'));
      const maps = [...video.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((m) => m[1]);
      expect(maps).toHaveLength(2);
      expect(maps[0]).not.toBe(maps[1]);
      expect(video).toMatch(/#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="video-init-\d+\.mp4"/);
      expect((await stream.handle(maps[1] as string)).status).toBe(200);
    });

    it('the same configuration again (a reconnect) keeps the init segment and MAP', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 4 }));
      stream.setTrack({
        ...VIDEO_TRACK,
        config: { kind: 'video', codec: 'h264', sps: Uint8Array.from(SPS), pps: Uint8Array.from(PPS) },
      });
      stream.setTrack(AUDIO_TRACK);
      push(stream, syntheticFrames({ seconds: 4, start: 4, wallclockStart: Date.UTC(2026, 10, 23, 12, 0, 4) }));
      const video = body(await playlist('video'));
      expect([...video.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)]).toHaveLength(1);
      expect(video).not.toMatch(/#EXT-X-DISCONTINUITY\n/);
    });

    it("keeps 7 segments listed; a removed one stays downloadable for its duration plus its playlist's (§6.2.2), then is released", async () => {
      vi.useFakeTimers();
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 30 }));
      const video = body(await playlist('video'));
      const extinfs = video.split('\n').filter((l) => l.startsWith('#EXTINF'));
      expect(extinfs).toHaveLength(7);
      // The playlist that listed the removed segment: these 7 and itself (at most TD), and it lasts at most TD.
      const listed = extinfs.reduce((sum, l) => sum + Number(l.slice(8, -1)), 0);
      const td = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(video)?.[1]);
      const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(video)?.[1]);
      const removed = `video-${first - 1}.m4s`;
      expect((await stream.handle(removed)).status).toBe(200);
      const held = stream.stats.bytesHeld;
      // Parts published later check what expired; 0.2 s of media each (no segment more removed).
      await vi.advanceTimersByTimeAsync(listed * 1000);
      push(stream, syntheticFrames({ seconds: 0.2, start: 30 }));
      expect((await stream.handle(removed)).status).toBe(200);
      await vi.advanceTimersByTimeAsync(2 * td * 1000 + 1);
      push(stream, syntheticFrames({ seconds: 0.2, start: 30.2 }));
      expect((await stream.handle(removed)).status).toBe(404);
      expect(stream.stats.bytesHeld).toBeLessThanOrEqual(held * 1.2);
    });

    it('holds no more than that window when media arrives faster than real time (a backlog after a stall)', async () => {
      vi.useFakeTimers();
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 30 }));
      const held = stream.stats.bytesHeld;
      const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body(await playlist('video')))?.[1]);
      // Two minutes of media within the same instant of wall time.
      push(stream, syntheticFrames({ seconds: 120, start: 30 }));
      expect(stream.stats.bytesHeld).toBeLessThanOrEqual(held * 1.2);
      expect((await stream.handle(`video-${first}.m4s`)).status).toBe(404);
    });

    it('never lists less than 3 x TD, however short the segments (reconnect after reconnect)', async () => {
      const { stream, playlist } = setup({ segmentCount: 4 });
      push(stream, syntheticFrames({ seconds: 2 }));
      for (let i = 1; i <= 20; i++) {
        stream.markDiscontinuity();
        push(
          stream,
          syntheticFrames({ seconds: 0.4, start: 2 + i, wallclockStart: Date.UTC(2026, 10, 23, 12, 0, 2 + i) }),
        );
        // The rule checker runs on every reload (TD 2: at least 6 s listed once that much exists).
        await playlist('video');
      }
      const listed = body(await playlist('video'))
        .split('\n')
        .filter((l) => l.startsWith('#EXTINF:'))
        .reduce((sum, l) => sum + Number(l.slice(8, -1)), 0);
      expect(listed).toBeGreaterThanOrEqual(6);
    });

    it('lists parts only for the last 3 x TD', async () => {
      const { stream, playlist } = setup();
      push(stream, syntheticFrames({ seconds: 16 }));
      const video = lines(await playlist('video'));
      const firstPart = video.findIndex((l) => l.startsWith('#EXT-X-PART:'));
      const segmentsBefore = video.slice(0, firstPart).filter((l) => l.startsWith('#EXTINF')).length;
      expect(segmentsBefore).toBeGreaterThan(0);
      expect(video.filter((l) => l.startsWith('#EXTINF')).length - segmentsBefore).toBeLessThanOrEqual(4);
    });
  });
});
