/**
 * The simulated cameras of the cost benchmark, as a process of their own (so that their CPU time is
 * not the gateway's): `CAMGATE_COST_PATHS` mount points (`/cam-0` ...), each its own camera that
 * starts when first played (cameras are not in phase, as real ones are not), all looping the bundled
 * H.264 + AAC clip grown to a 1080p camera's 4 Mbit/s. Prints `{"port":N}` on stdout when
 * listening. On the IPC message `'send-times'` it answers with the time each video frame's last
 * packets were written, per path (ms of the machine's monotonic clock, `process.hrtime`: one clock for
 * every process, where `performance.timeOrigin` differs between processes by a millisecond or two),
 * for the paths below `CAMGATE_COST_TIMED_PATHS`, then forgets them.
 *
 * Run with `node --conditions=camgate-source --import tsx` (see camera-cost.bench.ts).
 */
import { CamsimServer, type ClipName } from '@camgate/camsim';
import { fourMegabitClip } from './test-cost-clip.js';

const paths = Number(process.env['CAMGATE_COST_PATHS'] ?? 10);
const timedPaths = Number(process.env['CAMGATE_COST_TIMED_PATHS'] ?? 10);
const streams: Record<string, ClipName> = {};
for (let i = 0; i < paths; i++) streams[`/cam-${i}`] = 'h264-aac';

/** Connection number -> index of the path it plays (only timed paths). */
const pathOfConnection = new Map<number, number>();
const sendTimes: number[][] = Array.from({ length: timedPaths }, () => []);

const server = await CamsimServer.start({
  host: '127.0.0.1',
  port: 0,
  streams,
  clips: { 'h264-aac': await fourMegabitClip() },
  hooks: {
    request(request, ctx) {
      const match = /\/cam-(\d+)/.exec(request.uri);
      const index = match === null ? -1 : Number(match[1]);
      if (index >= 0 && index < timedPaths) pathOfConnection.set(ctx.connectionNumber, index);
      return undefined;
    },
    frameSent(frame, ctx) {
      if (frame.trackIndex !== 0) return;
      const index = pathOfConnection.get(ctx.connectionNumber);
      // When the write began (a gateway on the other core may have read the frame before write()
      // returned), on the clock the gateway uses (see above).
      if (index !== undefined)
        sendTimes[index]?.push(Number(process.hrtime.bigint()) / 1e6 - (performance.now() - frame.sentAt));
    },
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on('message', (message) => {
  if (message !== 'send-times') return;
  process.send?.({ sendTimes });
  for (const times of sendTimes) times.length = 0;
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
