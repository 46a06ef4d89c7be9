import { CamsimServer } from '@camgate/camsim';
import { launchChromium, requireTools } from '@camgate/testkit';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CameraPipeline } from '../cameras/camera-pipeline.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { buildServer } from '../http/server.js';

/** A few seconds: enough to show the H.264 variant is chosen and plays with the camera's audio. */
const PLAY_SECONDS = 4;

interface Report {
  started: boolean;
  startTime: number;
  currentTime: number;
  fatal: string[];
  codecs: string[];
  level: string;
  h265Supported: boolean;
  decodedFrames: number;
  audioAppended: number;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>camgate transcode test</title></head>
<body>
<video id="video" muted playsinline></video>
<script src="/assets/hls.min.js"></script>
<script>
  const report = (window.report = {
    started: false, startTime: 0, currentTime: 0, fatal: [], codecs: [], level: '',
    h265Supported: MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L90.90"'),
    decodedFrames: 0, audioAppended: 0,
  });
  const video = document.getElementById('video');
  const hls = new Hls({ lowLatencyMode: true });
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (data.fatal) report.fatal.push(data.details + ': ' + (data.error && data.error.message));
  });
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
    report.codecs = data.levels.map((l) => l.videoCodec);
    void video.play();
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => { report.level = hls.levels[data.level].url[0]; });
  hls.on(Hls.Events.BUFFER_APPENDED, (_e, data) => { if (data.type === 'audio') report.audioAppended++; });
  video.addEventListener('playing', () => {
    if (report.started) return;
    report.started = true;
    report.startTime = video.currentTime;
  });
  video.addEventListener('timeupdate', () => {
    report.currentTime = video.currentTime;
    report.decodedFrames = video.getVideoPlaybackQuality().totalVideoFrames;
  });
  hls.loadSource('/live/demo/index.m3u8');
  hls.attachMedia(video);
</script>
</body></html>
`;

describe('H.264 transcoding in a browser', () => {
  it('hls.js in headless Chromium (no H.265 decoder) plays the H.265 camera through its H.264 variant', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'chromium', 'ffmpeg');
    const camera = await CamsimServer.start();
    const pipeline = new CameraPipeline(
      'demo',
      {
        url: camera.url('/h265-aac'),
        transport: 'tcp',
        onDemand: false,
        audio: 'auto',
        enabled: true,
        transcode: 'h264',
      },
      { hls: { segmentDurationMs: 1000 }, transcode: { ffmpeg: new FfmpegBinary(ffmpeg) } },
    );
    const app = buildServer({
      logger: pino({ level: 'silent' }),
      live: (id, viewer) => (id === 'demo' ? pipeline.touch(viewer) : undefined),
    });
    app.get('/player-test', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
    const browser = await launchChromium();
    try {
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      await browser.page.goto(`${origin}/player-test`);
      await browser.page.waitForFunction(
        () => {
          const { report } = window as unknown as { report: Report };
          return report.started || report.fatal.length > 0;
        },
        null,
        { timeout: 30_000 },
      );
      await browser.page.waitForFunction(
        (seconds) => {
          const { report } = window as unknown as { report: Report };
          return report.fatal.length > 0 || report.currentTime - report.startTime >= seconds;
        },
        PLAY_SECONDS,
        { timeout: (PLAY_SECONDS + 20) * 1000, polling: 250 },
      );
      const report = await browser.page.evaluate(() => (window as unknown as { report: Report }).report);
      expect(report.fatal).toEqual([]);
      // Both variants listed; the browser's choice is the one it can decode.
      expect(report.codecs.some((c) => c.startsWith('avc1.'))).toBe(true);
      if (!report.h265Supported) expect(report.level).toContain('h264/video.m3u8');
      expect(report.currentTime - report.startTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
      expect(report.decodedFrames).toBeGreaterThanOrEqual(PLAY_SECONDS * 25 * 0.8);
      // The camera's audio plays with the transcoded video.
      expect(report.audioAppended).toBeGreaterThan(PLAY_SECONDS);
      const status = pipeline.status().transcode;
      expect(status?.state).toBe('running');
      const summary =
        `variants ${report.codecs.join(' / ')}, H.265 in MSE: ${report.h265Supported}, played ${report.level}; ` +
        `${(report.currentTime - report.startTime).toFixed(1)} s, ${report.decodedFrames} frames decoded; ` +
        `ffmpeg CPU ${status?.cpuPercent}%`;
      await ctx.annotate(summary);
      process.stdout.write(`transcode playback: ${summary}\n`);
    } finally {
      await browser.close();
      await app.close();
      await pipeline.close();
      await camera.close();
    }
  }, 90_000);
});
