import { CamsimServer, type CamsimServerOptions } from '@camgate/camsim';
import { HlsStream } from '@camgate/hls';
import { openSegment } from '@camgate/hls/testing';
import { EventEmitter } from 'node:events';
import { RtspSession, type Track } from '@camgate/rtsp';
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
