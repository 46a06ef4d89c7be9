import { CamsimServer } from '@camgate/camsim';
import { HlsStream } from '@camgate/hls';
import { RtspSession } from '@camgate/rtsp';
import { launchChromium, requireTools } from '@camgate/testkit';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../http/server.js';
import { SessionBridge } from './session-bridge.js';

/**
 * 4 KiB through the audio decoder (Chromium counts the FLAC bytes it decoded): over a second of
 * the camera's tone, several parts, not just the first frame.
 */
const DECODED_BYTES = 4 * 1024;

interface AudioReport {
  fatal: string[];
  audioCodec: string;
  audioDecodedBytes: number;
  currentTime: number;
}

/** hls.js on a muted video (Chromium autoplays it, and decodes its audio all the same). */
const PLAYER_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>camgate G.711 audio test</title></head>
<body>
<video id="video" muted playsinline></video>
<script src="/assets/hls.min.js"></script>
<script>
  const report = (window.report = { fatal: [], audioCodec: '', audioDecodedBytes: 0, currentTime: 0 });
  const video = document.getElementById('video');
  const hls = new Hls({ lowLatencyMode: true });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) report.fatal.push(data.details + ': ' + (data.error && data.error.message));
  });
  hls.on(Hls.Events.BUFFER_CODECS, (_event, data) => {
    if (data.audio) report.audioCodec = data.audio.codec || '';
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => void video.play());
  setInterval(() => {
    report.audioDecodedBytes = video.webkitAudioDecodedByteCount;
    report.currentTime = video.currentTime;
  }, 100);
  hls.loadSource('/live/' + new URLSearchParams(location.search).get('camera') + '/index.m3u8');
  hls.attachMedia(video);
</script>
</body></html>
`;

describe('G.711 audio in a browser', () => {
  it('hls.js in headless Chromium decodes the FLAC audio of a PCMA and a PCMU camera', async (ctx) => {
    requireTools(ctx, 'chromium');
    const camera = await CamsimServer.start({ streams: { '/h264-pcma': 'h264-pcma', '/h264-pcmu': 'h264-pcmu' } });
    const pipelines = new Map(
      (['pcma', 'pcmu'] as const).map((law) => {
        const stream = new HlsStream({ partDurationMs: 200, segmentDurationMs: 1000 });
        const bridge = new SessionBridge(stream);
        const session = new RtspSession({ url: camera.url(`/h264-${law}`), transport: 'tcp' });
        bridge.attach(session);
        return [law, { stream, bridge, session }];
      }),
    );
    const app = buildServer({ logger: pino({ level: 'silent' }), live: (id) => pipelines.get(id as 'pcma')?.stream });
    app.get('/g711-test', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLAYER_PAGE));
    const browser = await launchChromium();
    try {
      for (const { session } of pipelines.values()) await session.connect();
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      const summary: string[] = [];
      for (const law of pipelines.keys()) {
        await browser.page.goto(`${origin}/g711-test?camera=${law}`);
        // Real time: the first segment (about 2 s), then a second of audio.
        await browser.page.waitForFunction(
          (bytes) => {
            const { report } = window as unknown as { report: AudioReport };
            return report.fatal.length > 0 || report.audioDecodedBytes >= bytes;
          },
          DECODED_BYTES,
          { timeout: 20_000, polling: 100 },
        );
        const report = await browser.page.evaluate(() => (window as unknown as { report: AudioReport }).report);
        expect(report.fatal, law).toEqual([]);
        expect(report.audioCodec.toLowerCase(), law).toBe('flac');
        expect(report.audioDecodedBytes, law).toBeGreaterThanOrEqual(DECODED_BYTES);
        summary.push(`${law}: ${report.audioDecodedBytes} audio bytes decoded by ${report.currentTime.toFixed(1)} s`);
      }
      await ctx.annotate(summary.join('; '));
      process.stdout.write(`G.711 in Chromium: ${summary.join('; ')}\n`);
    } finally {
      await browser.close();
      for (const { bridge, session, stream } of pipelines.values()) {
        bridge.detach();
        await session.close();
        stream.close();
      }
      await app.close();
      await camera.close();
    }
  }, 60_000);
});
