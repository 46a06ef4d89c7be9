import { parseArgs } from 'node:util';
import { CamsimServer, type AuthScheme } from '@camgate/camsim';
import { errors } from '../errors.js';
import type { CliIo } from './io.js';

export const CAMSIM_USAGE = `Usage: camgate camsim [options]

Runs the simulated camera: an RTSP server looping bundled clips
(/h264-aac: H.264 High with B-frames + AAC, /h265-aac: H.265 + AAC,
/h264-pcma: H.264 + G.711 A-law, /h264-pcmu: H.264 + G.711 µ-law,
/h264-l16: H.264 + L16 linear PCM), over TCP or UDP.

Options:
  -p, --port <port>        RTSP port (default 8554; 0 picks a free one)
      --host <host>        interface to listen on (default 127.0.0.1)
      --user <name>        require this user name ...
      --password <pw>      ... and password
      --auth <scheme>      basic, digest (MD5, default) or digest-sha256
  -h, --help               show this help

Prints one stream URL per line, then serves until interrupted.
`;

export async function camsimCommand(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        auth: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw errors.usage(`${(err as Error).message}\n\n${CAMSIM_USAGE}`);
  }
  if (values.help === true) {
    io.stdout.write(CAMSIM_USAGE);
    return 0;
  }
  const port = Number(values.port ?? '8554');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw errors.usage('--port must be a port number');
  if ((values.user === undefined) !== (values.password === undefined))
    throw errors.usage('--user and --password go together');
  const scheme = (
    { basic: 'basic', digest: 'digest-md5', 'digest-sha256': 'digest-sha256' } as Record<string, AuthScheme>
  )[values.auth ?? 'digest'];
  if (scheme === undefined) throw errors.usage('--auth must be basic, digest or digest-sha256');

  const server = await CamsimServer.start({
    port,
    host: values.host ?? '127.0.0.1',
    ...(values.user === undefined || values.password === undefined
      ? {}
      : { auth: { username: values.user, password: values.password, schemes: [scheme] } }),
  });
  for (const path of ['/h264-aac', '/h265-aac', '/h264-pcma', '/h264-pcmu', '/h264-l16'])
    io.stdout.write(`${server.url(path)}\n`);
  await new Promise<void>((resolve) => {
    if (io.stop.aborted) resolve();
    else io.stop.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}
