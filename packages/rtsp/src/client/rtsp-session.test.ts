import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { listenOnLoopback } from '@camgate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import type { SessionLogger } from './logger.js';
import { RtspSession } from './rtsp-session.js';

/** Peers listening where a camera should be, none of which speaks RTSP. */
const peers: Array<[name: string, start: () => Server]> = [
  // node:http answers the OPTIONS request line ("... RTSP/1.0") with 400 Bad Request.
  ['an HTTP server (node:http)', () => createHttpServer((_request, response) => response.end('hello'))],
  [
    'an SSH server (speaks first, keeps the connection open)',
    () => createTcpServer((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n')),
  ],
  [
    'a service answering binary garbage and keeping the connection open',
    () => createTcpServer((socket) => socket.once('data', () => socket.write(Buffer.from([0x00, 0xff, 0x13, 0x37])))),
  ],
];

describe('RtspSession.connect() against a peer that is not RTSP', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  // The default request timeout stays: a peer skipped as junk would give RTSP_TIMEOUT after 10 s.
  it.for(peers)('%s: fails at once with RTSP_INVALID_MESSAGE, not RTSP_TIMEOUT', async ([, start]) => {
    const peer = await listenOnLoopback(start());
    stop = peer.close;
    const session = new RtspSession({ url: `rtsp://admin:secret@127.0.0.1:${peer.port}/stream` });
    const closed = new Promise<void>((resolve) => session.once('close', resolve));
    await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.INVALID_MESSAGE });
    await closed;
    expect(session.state).toBe('closed');
  });
});

/** A camera that answers each request head with `answer(method, uri)` (a status line and headers). */
function scriptedCamera(answer: (method: string, uri: string) => string): Server {
  return createTcpServer((socket) => {
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const [method = '', uri = ''] = head.split(' ');
        const cseq = /^cseq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
        socket.write(`${answer(method, uri)}\r\nCSeq: ${cseq}\r\n\r\n`);
      }
    });
    socket.on('error', () => socket.destroy());
  });
}

/** A logger that keeps every line, fields included, as text. */
function recordingLogger(): SessionLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: log, info: log, warn: log };
}

describe('RtspSession never shows credentials of the path or query', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it.for([
    ['an unparseable redirect', 'rtsp://[', RtspErrorCode.REDIRECT_REFUSED],
    [
      'a redirect to a stream that does not exist',
      '/moved/user=admin&password=canary-M0ved&channel=1',
      RtspErrorCode.NOT_FOUND,
    ],
  ] as const)(
    '%s: session.url, the error (with its causes) and the log lines hold no secret',
    async ([, location, code]) => {
      const peer = await listenOnLoopback(
        scriptedCamera((method, uri) => {
          if (method === 'OPTIONS') return 'RTSP/1.0 200 OK';
          return uri.includes('/moved/') ? 'RTSP/1.0 404 Not Found' : `RTSP/1.0 302 Found\r\nLocation: ${location}`;
        }),
      );
      stop = peer.close;
      const logger = recordingLogger();
      const session = new RtspSession({
        url: `rtsp://admin:canary-Us3r@127.0.0.1:${peer.port}/user=admin&password=canary-P4th&channel=1&stream=0.sdp?token=canary-T0ken`,
        logger,
      });
      const error = await session.connect().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ code });
      expect(session.url).toBe(
        `rtsp://admin:***@127.0.0.1:${peer.port}/user=admin&password=***&channel=1&stream=0.sdp?token=***`,
      );
      expect(inspect(error, { depth: 10 })).not.toContain('canary');
      expect(logger.lines.join('\n')).not.toContain('canary');
    },
  );
});
