// The Docker image (apps/gateway/Dockerfile) runs the gateway as `pnpm deploy --prod` leaves it.
// That bundle can be checked without Docker: build it, start it outside the repository as the
// image does (NODE_ENV=production, an empty data directory), check what a first run shows (the
// dashboard, hls.js, the demo camera's playlists and media), then SIGTERM must exit 0 within 5 s.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const work = await mkdtemp(join(tmpdir(), 'camgate-deploy-'));
const app = join(work, 'app');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
}

async function expectOk(url, check = () => true) {
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200 || !check(body, response)) {
    throw new Error(`${url}: ${response.status} ${response.headers.get('content-type')} ${body.length} bytes`);
  }
  return body.toString('latin1');
}

let gateway;
try {
  run('pnpm', ['build']);
  run('pnpm', ['--filter', '@camgate/gateway', 'deploy', '--legacy', '--prod', app]);
  // pnpm 10 also links the bundle's bin shims under the repository, at the target's absolute
  // path (here <repo>/tmp/camgate-deploy-*/app/node_modules/.bin): remove that stray copy.
  await rm(join(root, work), { recursive: true, force: true });
  await rmdir(join(root, 'tmp')).catch(() => undefined);

  gateway = spawn(process.execPath, [join(app, 'dist/cli.js'), 'serve'], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      CAMGATE_HOST: '127.0.0.1',
      CAMGATE_PORT: '0',
      CAMGATE_DATA_DIR: join(work, 'data'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => gateway.once('exit', (code, signal) => resolve({ code, signal })));
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start listening within 30 s')), 30_000);
    exited.then(({ code }) => reject(new Error(`the gateway exited (${code}) before listening`)));
    createInterface({ input: gateway.stdout }).on('line', (line) => {
      const found = /Server listening at (http:\/\/[\d.]+:\d+)/.exec(line);
      if (found === null) return;
      clearTimeout(timer);
      resolve(found[1]);
    });
  });

  await expectOk(`${origin}/healthz`);
  await expectOk(`${origin}/`, (body) => body.includes('camgate'));
  await expectOk(`${origin}/assets/hls.min.js`, (body) => body.length > 100_000);
  // The player component and the dashboard's modules, compiled by `pnpm build` (apps/gateway/web).
  await expectOk(`${origin}/assets/web/camgate-player.js`, (body) => body.length > 100);
  await expectOk(`${origin}/assets/web/dashboard/main.js`, (body) => body.length > 100);
  // The stylesheets (copied by .config/web-copy.mjs, not tsc) and hls.js (from node_modules).
  await expectOk(`${origin}/assets/web/dashboard/dashboard.css`, (body) => body.length > 100);
  await expectOk(`${origin}/assets/web/vendor/hls.js`, (body) => body.length > 100_000);
  await expectOk(`${origin}/live/demo/index.m3u8`, (body) => body.includes('#EXT-X-STREAM-INF'));
  const playlist = await expectOk(`${origin}/live/demo/standard-video.m3u8`, (body) => body.includes('#EXTINF'));
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
  const segment = playlist.split('\n').find((line) => line.endsWith('.m4s'));
  await expectOk(`${origin}/live/demo/${init}`, (body) => body.subarray(4, 8).toString() === 'ftyp');
  await expectOk(`${origin}/live/demo/${segment}`, (body) => body.includes('moof') && body.includes('mdat'));

  const stopping = Date.now();
  gateway.kill('SIGTERM');
  const { code, signal } = await exited;
  const ms = Date.now() - stopping;
  if (code !== 0 || ms > 5_000) throw new Error(`SIGTERM: exit ${code ?? signal} after ${ms} ms`);
  console.log(`deploy smoke: the production bundle served the demo camera and exited 0 in ${ms} ms after SIGTERM`);
} finally {
  if (gateway !== undefined && gateway.exitCode === null) gateway.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
}
