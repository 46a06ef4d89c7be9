import { joinLengthPrefixed } from '@camgate/codecs';
import { CamsimServer, type CamsimServerOptions } from '@camgate/camsim';
import { HlsError, HlsErrorCode, HlsStream, type FrameSink, type HlsFrame, type HlsTrack } from '@camgate/hls';
import { openSegment } from '@camgate/hls/testing';
import { EventEmitter } from 'node:events';
import { RtspSession, type Frame, type Track } from '@camgate/rtsp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionBridge } from './session-bridge.js';

/** Real-time input: a 1.6 s GOP from the simulated camera makes each segment. */
const TIMEOUT_MS = 30_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function camera(options: CamsimServerOptions = {}): Promise<CamsimServer> {
  const server = await CamsimServer.start(options);
  cleanups.push(() => server.close());
  return server;
}

function packager(): { stream: HlsStream; bridge: SessionBridge } {
  const stream = new HlsStream({ segmentDurationMs: 1000, readyTimeoutMs: TIMEOUT_MS });
  const bridge = new SessionBridge(stream);
  cleanups.push(() => {
    bridge.detach();
    stream.close();
  });
  return { stream, bridge };
}

async function connect(bridge: SessionBridge, url: string): Promise<RtspSession> {
  const session = new RtspSession({ url, transport: 'tcp' });
  cleanups.push(() => session.close());
  bridge.attach(session);
  await session.connect();
  return session;
}

async function text(stream: HlsStream, name: string, query: Record<string, string> = {}): Promise<string> {
  const response = await stream.handle(name, new URLSearchParams(query));
  expect(response.status).toBe(200);
  return response.body as string;
}

/** Blocking reloads of a media playlist, one segment at a time, until `done` holds. */
async function reloadUntil(stream: HlsStream, name: string, done: (playlist: string) => boolean): Promise<string> {
  let playlist = await text(stream, name);
  for (let i = 0; i < 20 && !done(playlist); i++) {
    playlist = await text(stream, name, { _HLS_msn: String(openSegment(playlist).msn) });
  }
  expect(done(playlist)).toBe(true);
  return playlist;
}

describe('SessionBridge', () => {
  it(
    'publishes H.264 + AAC from the camera as video and audio renditions',
    async () => {
      const server = await camera();
      const { stream, bridge } = packager();
      await connect(bridge, server.url('/h264-aac'));
      expect(await stream.whenReady()).toBe(true);
      const multivariant = await text(stream, 'index.m3u8');
      expect(multivariant).toMatch(/CODECS="avc1\.64\w{4},mp4a\.40\.2"/);
      expect(multivariant).toContain('RESOLUTION=640x360');
      expect(multivariant).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO/);
      await reloadUntil(stream, 'audio.m3u8', (playlist) => playlist.includes('#EXTINF:'));
      expect(bridge.tracks.map((t) => [t.track.codec, t.mapping.playable])).toEqual([
        ['h264', true],
        ['aac', true],
      ]);
      expect(bridge.stats.framesIn).toBeGreaterThan(0);
      expect(stream.stats.invalidFrames).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    'publishes G.711 audio as a FLAC rendition (CODECS "fLaC"), one frame per camera packet',
    async () => {
      const server = await camera();
      const { stream, bridge } = packager();
      await connect(bridge, server.url('/h264-pcma'));
      expect(await stream.whenReady()).toBe(true);
      const multivariant = await text(stream, 'index.m3u8');
      expect(multivariant).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO/);
      expect(multivariant).toMatch(/CODECS="avc1\.4d\w{4},fLaC"/);
      await reloadUntil(stream, 'audio.m3u8', (playlist) => playlist.includes('#EXTINF:'));
      const audio = bridge.tracks.find((t) => t.track.kind === 'audio');
      expect(audio?.mapping).toMatchObject({
        playable: true,
        track: { config: { codec: 'flac', channels: 1, sampleRate: 8000 } },
      });
      expect(stream.stats.invalidFrames).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    'waits for in-band parameter sets when the SDP has none (cameras that send them only in the stream)',
    async () => {
      const server = await camera({ omitParameterSets: true });
      const { stream, bridge } = packager();
      await connect(bridge, server.url('/h264-aac'));
      expect(await stream.whenReady()).toBe(true);
      expect(await text(stream, 'index.m3u8')).toMatch(/CODECS="avc1\.64\w{4},mp4a\.40\.2"/);
      expect(bridge.tracks[0]?.mapping.playable).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps one playlist across a reconnect: EXT-X-DISCONTINUITY, continued MSNs, the same init segment',
    async () => {
      const server = await camera();
      const { stream, bridge } = packager();
      const first = await connect(bridge, server.url('/h264-aac'));
      expect(await stream.whenReady()).toBe(true);
      const before = await reloadUntil(stream, 'video.m3u8', (playlist) => playlist.includes('#EXTINF:'));
      bridge.detach();
      await first.close();
      await connect(bridge, server.url('/h264-aac'));
      const after = await reloadUntil(stream, 'video.m3u8', (playlist) =>
        /#EXT-X-DISCONTINUITY\n[^]*#EXTINF:/.test(playlist),
      );
      expect(bridge.stats.sessions).toBe(2);
      const map = (playlist: string) => /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
      expect(map(after)).toBe(map(before));
      expect(after).not.toMatch(/#EXT-X-MAP:URI="(?!video-init)/);
      const firstMsn = (playlist: string) => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1]);
      expect(firstMsn(after)).toBeGreaterThanOrEqual(firstMsn(before));
      expect(after).toContain(/^video-\d+\.m4s$/m.exec(before)?.[0]);
      expect(stream.stats.discontinuities).toBe(1);
    },
    TIMEOUT_MS,
  );
});

describe('SessionBridge G.711 discontinuities', () => {
  it('a discontinuity on a packet too short to encode alone is carried by the next FLAC frame', () => {
    const { stream, bridge } = packager();
    const pushed = vi.spyOn(stream, 'push');
    const track: Track = {
      id: 0,
      kind: 'audio',
      codec: 'pcma',
      codecString: 'alaw',
      clockRate: 8000,
      sampleRate: 8000,
      channels: 1,
      config: {},
    };
    // The events and tracks the bridge reads of a session (the RTP side is tested in @camgate/rtsp).
    const session = Object.assign(new EventEmitter(), { tracks: [track] });
    bridge.attach(session as unknown as RtspSession);
    const packet = (dts: number, samples: number, discontinuity: boolean) =>
      session.emit('frame', {
        trackId: 0,
        dts,
        pts: dts,
        keyframe: true,
        discontinuity,
        wallclock: 1_000_000 + dts / 8,
        data: new Uint8Array(samples).fill(0xd5),
      });
    packet(0, 160, false);
    packet(1000, 8, true); // held: fewer than 16 samples
    packet(1008, 160, false);
    packet(1168, 160, false);
    const audio = pushed.mock.calls.map(([frame]) => frame).filter((frame) => frame.kind === 'audio');
    expect(audio.map((frame) => [frame.dts, frame.discontinuity])).toEqual([
      [0, false],
      [1000, true],
      [1168, false],
    ]);
  });
});

/** The events and tracks the bridge reads of a session, and read batching's deferral (deferReadsUntil). */
class FakeSession extends EventEmitter {
  readonly deferrals: Array<{ at: number; until: number; audioOwed: number }> = [];
  /** The stream fed, to see whether its audio part had gone out when reads were deferred. */
  stream: HlsStream | undefined;
  constructor(readonly tracks: Track[]) {
    super();
  }
  deferReadsUntil(until: number): void {
    this.deferrals.push({ at: performance.now(), until, audioOwed: this.stream?.audioPartsOwed ?? 0 });
  }
}

const H264_TRACK: Track = {
  id: 0,
  kind: 'video',
  codec: 'h264',
  codecString: 'avc1.4d400d',
  clockRate: 90_000,
  width: 320,
  height: 240,
  fps: 25,
  config: {
    sps: Buffer.from('674d400de880a0fd80880000030008000003019078a14890', 'hex'),
    pps: Buffer.from('68ebe0e4b2', 'hex'),
  },
};
const AAC_TRACK: Track = {
  id: 1,
  kind: 'audio',
  codec: 'aac',
  codecString: 'mp4a.40.2',
  clockRate: 48_000,
  sampleRate: 48_000,
  channels: 2,
  config: { audioSpecificConfig: Uint8Array.of(0x11, 0x90) },
};
const PCMA_TRACK: Track = {
  id: 0,
  kind: 'audio',
  codec: 'pcma',
  codecString: 'alaw',
  clockRate: 8000,
  sampleRate: 8000,
  channels: 1,
  config: {},
};

/** `seconds` of 25 fps H.264 (a keyframe a second) and, with `audio`, AAC, in arrival order, as a session emits them. */
function cameraFrames(seconds: number, audio: boolean): Frame[] {
  const frames: Array<Frame & { time: number }> = [];
  for (let i = 0; i < seconds * 25; i++) {
    const keyframe = i % 25 === 0;
    const slice = Uint8Array.of(keyframe ? 0x65 : 0x41, 0x88, i & 0xff, 0x10);
    const nals = keyframe ? [H264_TRACK.config.sps as Uint8Array, H264_TRACK.config.pps as Uint8Array, slice] : [slice];
    const data = joinLengthPrefixed(nals);
    const dts = i * 3600;
    frames.push({
      trackId: 0,
      dts,
      pts: dts,
      keyframe,
      discontinuity: false,
      wallclock: 1e12 + i * 40,
      data,
      time: i / 25,
    });
  }
  for (let i = 0; audio && i * 1024 < seconds * 48_000; i++) {
    const dts = i * 1024;
    const data = Uint8Array.of(0x21, 0x10, i & 0xff);
    frames.push({
      trackId: 1,
      dts,
      pts: dts,
      keyframe: true,
      discontinuity: false,
      wallclock: 1e12 + dts / 48,
      data,
      time: dts / 48_000,
    });
  }
  return frames.sort((a, b) => a.time - b.time);
}

describe('SessionBridge read batching', () => {
  it.each([
    { what: 'video only', audio: false },
    { what: 'video and audio: once the audio part has gone out too', audio: true },
  ])('after each video part published, lets the session batch reads until near the next ($what)', ({ audio }) => {
    const stream = new HlsStream({ segmentDurationMs: 1000 });
    cleanups.push(() => stream.close());
    const bridge = new SessionBridge(stream, { readBatchMs: 50 });
    const session = new FakeSession(audio ? [H264_TRACK, AAC_TRACK] : [H264_TRACK]);
    session.stream = stream;
    bridge.attach(session as unknown as RtspSession);
    let videoParts = 0;
    for (const frame of cameraFrames(4, audio)) {
      const before = stream.stats.parts;
      session.emit('frame', frame);
      // Parts published before the stream's timing is fixed (its first GOP) are left alone.
      const published = stream.stats.parts > before && stream.timing !== undefined;
      if (published && frame.trackId === 0) videoParts++;
    }
    expect(videoParts).toBeGreaterThan(10);
    // The last video part's audio part may still be owed when the frames end.
    expect(session.deferrals.length).toBe(videoParts - stream.audioPartsOwed);
    // Reads wait only once every rendition has the part: the audio part's frame is read at once too.
    expect(session.deferrals.map((d) => d.audioOwed)).toEqual(session.deferrals.map(() => 0));
    const timing = stream.timing;
    // 200 ms parts of five 40 ms frames, all pushed at once (no real time passes between frames):
    // the next part's closing frame is due one part of media after this one's; reads go back to at
    // once 10 ms before.
    expect(timing).toMatchObject({ framesPerPart: 5 });
    for (const { at, until } of session.deferrals) {
      expect(until - at).toBeGreaterThan(200 - 10 - 5);
      expect(until - at).toBeLessThanOrEqual(200 - 10);
    }
  });

  it('defers nothing without read batching (readBatchMs 0, the default)', () => {
    const stream = new HlsStream({ segmentDurationMs: 1000 });
    cleanups.push(() => stream.close());
    const bridge = new SessionBridge(stream);
    const session = new FakeSession([H264_TRACK]);
    bridge.attach(session as unknown as RtspSession);
    for (const frame of cameraFrames(3, false)) session.emit('frame', frame);
    expect(stream.stats.parts).toBeGreaterThan(5);
    expect(session.deferrals).toEqual([]);
  });

  it('attached with listen: false, takes the frames its caller hands it', () => {
    const stream = new HlsStream({ segmentDurationMs: 1000 });
    cleanups.push(() => stream.close());
    const bridge = new SessionBridge(stream);
    const session = new FakeSession([H264_TRACK]);
    bridge.attach(session as unknown as RtspSession, { listen: false });
    expect(session.listenerCount('frame')).toBe(0);
    for (const frame of cameraFrames(3, false)) bridge.push(frame);
    expect(bridge.stats.framesIn).toBe(75);
    expect(stream.ready).toBe(true);
    bridge.detach();
    bridge.push(cameraFrames(1, false)[0] as Frame);
    expect(bridge.stats.framesIn).toBe(75);
  });
});

describe('SessionBridge and the frame contract', () => {
  // Design decision 1: a frame's data is the receive path's again once the listeners return. G.711
  // held across packets (fewer than 16 samples) must not be read from it later.
  it('FLAC frames are the same when the session overwrites each packet after its event', () => {
    const flacOf = (overwrite: boolean) => {
      const { stream, bridge } = packager();
      const pushed = vi.spyOn(stream, 'push');
      const session = new FakeSession([PCMA_TRACK]);
      bridge.attach(session as unknown as RtspSession);
      const read = new Uint8Array(2048); // the session's read buffer, reused when `overwrite`
      let dts = 0;
      for (const samples of [160, 8, 4, 160, 12, 400, 160]) {
        // Without overwriting, each packet has memory of its own (what the contract allowed before).
        const data = overwrite ? read.subarray(0, samples) : new Uint8Array(samples);
        for (let i = 0; i < samples; i++) data[i] = (dts + i * 37) & 0xff;
        session.emit('frame', {
          trackId: 0,
          dts,
          pts: dts,
          keyframe: true,
          discontinuity: false,
          wallclock: 1e12,
          data,
        });
        if (overwrite) read.fill(0x55);
        dts += samples;
      }
      return pushed.mock.calls.map(([frame]) => [frame.dts, [...frame.data]]);
    };
    const clean = flacOf(false);
    expect(clean.length).toBeGreaterThan(3);
    expect(flacOf(true)).toEqual(clean);
  });
});

/** A sink that notes every call (frames by dts, kind, keyframe and a copy of the data: theirs is reused). */
class NotingSink implements FrameSink {
  readonly calls: Array<
    | { call: 'setTrack'; kind: string; codec: string }
    | { call: 'push'; kind: string; dts: number; keyframe: boolean; data: number[] }
    | { call: 'markDiscontinuity' }
  > = [];
  constructor(private readonly failAt?: { call: 'setTrack' | 'push'; nth: number }) {}
  #count(call: 'setTrack' | 'push'): void {
    const seen = this.calls.filter((c) => c.call === call).length;
    if (this.failAt?.call === call && this.failAt.nth === seen + 1)
      throw new HlsError(HlsErrorCode.INVALID_TRACK, `the sink fails at ${call} #${seen + 1}`);
  }
  setTrack(track: HlsTrack): void {
    this.#count('setTrack');
    this.calls.push({ call: 'setTrack', kind: track.kind, codec: track.config.codec });
  }
  push(frame: HlsFrame): void {
    this.#count('push');
    const { kind, dts, keyframe } = frame;
    this.calls.push({ call: 'push', kind, dts, keyframe, data: [...frame.data] });
  }
  markDiscontinuity(): void {
    this.calls.push({ call: 'markDiscontinuity' });
  }
}

describe('SessionBridge frame fan-out (sinks beside the live stream)', () => {
  function liveStream(): { stream: HlsStream; bridge: SessionBridge; live: NotingSink } {
    const { stream, bridge } = packager();
    // What the live stream was given, noted the same way.
    const live = new NotingSink();
    const push = stream.push.bind(stream);
    const setTrack = stream.setTrack.bind(stream);
    const markDiscontinuity = stream.markDiscontinuity.bind(stream);
    vi.spyOn(stream, 'push').mockImplementation((frame) => {
      live.push(frame);
      push(frame);
    });
    vi.spyOn(stream, 'setTrack').mockImplementation((track) => {
      live.setTrack(track);
      setTrack(track);
    });
    vi.spyOn(stream, 'markDiscontinuity').mockImplementation(() => {
      live.markDiscontinuity();
      markDiscontinuity();
    });
    return { stream, bridge, live };
  }

  it('a sink gets the tracks, frames and discontinuities the live stream gets, across a reconnect', () => {
    const { stream, bridge, live } = liveStream();
    const sink = new NotingSink();
    const recorder = new HlsStream({ segmentDurationMs: 4000 });
    cleanups.push(() => recorder.close());
    const onError = vi.fn();
    bridge.addSink(sink, onError);
    bridge.addSink(recorder, onError);
    for (const round of [0, 1]) {
      const session = new FakeSession([H264_TRACK, AAC_TRACK]);
      bridge.attach(session as unknown as RtspSession);
      for (const frame of cameraFrames(3, true))
        session.emit('frame', { ...frame, dts: frame.dts + round * 1e6, pts: frame.pts + round * 1e6 });
    }
    expect(sink.calls).toEqual(live.calls);
    expect(sink.calls.filter((c) => c.call === 'markDiscontinuity')).toHaveLength(1);
    expect(sink.calls.slice(0, 2)).toEqual([
      { call: 'setTrack', kind: 'video', codec: 'h264' },
      { call: 'setTrack', kind: 'audio', codec: 'aac' },
    ]);
    // Another packager with other durations, fed by the same frames: its own segments, the same media.
    expect(recorder.ready).toBe(true);
    expect(recorder.stats.discontinuities).toBe(1);
    expect(stream.stats.invalidFrames).toBe(0);
    expect(recorder.stats.droppedFrames).toBe(stream.stats.droppedFrames);
    expect(recorder.stats.segments).toBeLessThan(stream.stats.segments);
    expect(onError).not.toHaveBeenCalled();
    expect(bridge.sinks).toEqual([sink, recorder]);
    bridge.removeSink(sink);
    expect(bridge.sinks).toEqual([recorder]);
  });

  it('a sink added mid-stream gets the tracks at once, then the next frames', () => {
    const { bridge, live } = liveStream();
    const session = new FakeSession([H264_TRACK, AAC_TRACK]);
    bridge.attach(session as unknown as RtspSession);
    const frames = cameraFrames(3, true);
    const half = frames.length / 2;
    frames.slice(0, half).forEach((frame) => session.emit('frame', frame));
    const sink = new NotingSink();
    bridge.addSink(sink, () => undefined);
    bridge.addSink(sink, () => undefined); // once only
    expect(sink.calls).toEqual([
      { call: 'setTrack', kind: 'video', codec: 'h264' },
      { call: 'setTrack', kind: 'audio', codec: 'aac' },
    ]);
    frames.slice(half).forEach((frame) => session.emit('frame', frame));
    const livePushes = live.calls.filter((c) => c.call === 'push');
    expect(sink.calls.slice(2)).toEqual(livePushes.slice(livePushes.length - (frames.length - half)));
  });

  it.each([{ failAt: { call: 'push' as const, nth: 40 } }, { failAt: { call: 'setTrack' as const, nth: 2 } }])(
    'a sink that throws ($failAt.call #$failAt.nth) is removed and reported; the live stream goes on',
    ({ failAt }) => {
      const { stream, bridge } = liveStream();
      const failing = new NotingSink(failAt);
      const healthy = new NotingSink();
      const errors: unknown[] = [];
      bridge.addSink(failing, (err) => errors.push(err));
      bridge.addSink(healthy, () => undefined);
      const session = new FakeSession([H264_TRACK, AAC_TRACK]);
      bridge.attach(session as unknown as RtspSession);
      for (const frame of cameraFrames(3, true)) session.emit('frame', frame);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: HlsErrorCode.INVALID_TRACK });
      expect(bridge.sinks).toEqual([healthy]);
      expect(stream.ready).toBe(true);
      expect(bridge.stats.framesIn).toBe(cameraFrames(3, true).length);
      expect(healthy.calls.filter((c) => c.call === 'push')).toHaveLength(bridge.stats.framesIn);
    },
  );

  it('G.711 reaches the sinks as the FLAC the live stream gets', () => {
    const { bridge, live } = liveStream();
    const sink = new NotingSink();
    bridge.addSink(sink, () => undefined);
    const session = new FakeSession([PCMA_TRACK]);
    bridge.attach(session as unknown as RtspSession);
    const packet = new Uint8Array(160);
    for (let i = 0; i < 50; i++) {
      packet.fill(i * 3);
      session.emit('frame', {
        trackId: 0,
        dts: i * 160,
        pts: i * 160,
        keyframe: true,
        discontinuity: false,
        wallclock: 1e12,
        data: packet,
      });
    }
    expect(sink.calls[0]).toEqual({ call: 'setTrack', kind: 'audio', codec: 'flac' });
    expect(sink.calls.filter((c) => c.call === 'push')).toHaveLength(50);
    expect(sink.calls).toEqual(live.calls);
  });
});
