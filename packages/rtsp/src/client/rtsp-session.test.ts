import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { inspect } from 'node:util';
import { listenOnLoopback } from '@camgate/testkit';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import type { Frame } from './frame.js';
import type { SessionLogger } from './logger.js';
import { defaultReadScheduler } from './read-scheduler.js';
import { RtspSession } from './rtsp-session.js';
import { sessionTicker } from './session-ticker.js';
import { makeRecording, type Recording } from './test-recording.js';
import { TEST_TLS_CERT, TEST_TLS_KEY } from './test-tls.js';

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

/**
 * A camera that plays `recording` over TCP interleaved after PLAY, in writes of `writeBytes` spread
 * over time (a write per millisecond), so that the client sees data arrive between its reads.
 */
/** `hangUp`: the camera closes the connection (FIN) once it has sent the whole recording. */
function recordingCamera(recording: Recording, writeBytes: number, secure = false, hangUp = false): Server {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const sdp = [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=recording',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(recording.video.sps!)},${b64(recording.video.pps!)}`,
    'a=control:track0',
    'm=audio 0 RTP/AVP 97',
    'a=rtpmap:97 mpeg4-generic/48000/2',
    `a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${Buffer.from(recording.audio.config).toString('hex')}`,
    'a=control:track1',
    '',
  ].join('\r\n');
  const stream = Buffer.concat(recording.chunks);
  const serve = (socket: Socket) => {
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const [method = ''] = head.split(' ');
        const cseq = /^cseq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
        const transport = /^transport:\s*(.*)$/im.exec(head)?.[1] ?? '';
        const extra =
          method === 'DESCRIBE'
            ? `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`
            : method === 'SETUP'
              ? `Transport: ${transport}\r\nSession: 1234;timeout=60\r\n\r\n`
              : method === 'PLAY'
                ? 'Session: 1234\r\n\r\n'
                : '\r\n';
        socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n${extra}`);
        if (method === 'PLAY' && timer === undefined) {
          let at = 0;
          timer = setInterval(() => {
            if (at >= stream.length || socket.destroyed) {
              clearInterval(timer);
              if (hangUp) socket.end();
              return;
            }
            socket.write(stream.subarray(at, at + writeBytes));
            at += writeBytes;
          }, 1);
        }
      }
    });
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => socket.destroy());
  };
  return secure ? createTlsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, serve) : createTcpServer(serve);
}

/** Frames as a consumer that copies inside its listener keeps them: times relative to the track's first frame. */
function frameDigests(session: RtspSession, total: number): Promise<string[]> {
  const digests: string[] = [];
  const first = new Map<number, number>();
  return new Promise((resolve) => {
    session.on('frame', (frame: Frame) => {
      const origin = first.get(frame.trackId) ?? frame.pts;
      first.set(frame.trackId, origin);
      const digest = createHash('sha1').update(frame.data).digest('hex');
      digests.push(`${frame.trackId} ${frame.dts - origin} ${frame.keyframe} ${digest}`);
      if (digests.length === total) resolve(digests);
    });
  });
}

describe('RtspSession read batching (readBatchMs, deferReadsUntil)', () => {
  const recording = makeRecording(2);
  const total = recording.videoFrames + recording.audioFrames;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('a deferred session receives every frame, in order, as an eager one does; closing releases the timers', async () => {
    const peer = await listenOnLoopback(recordingCamera(recording, 3000));
    stop = peer.close;
    const url = `rtsp://127.0.0.1:${peer.port}/stream`;

    const eager = new RtspSession({ url, transport: 'tcp', readBatchMs: 20 });
    const eagerFrames = frameDigests(eager, total);
    await eager.connect();
    const expected = await eagerFrames;
    expect(defaultReadScheduler.activeTimers).toBe(0); // never deferred: no timer
    await eager.close();

    const deferred = new RtspSession({ url, transport: 'tcp', readBatchMs: 20 });
    const deferredFrames = frameDigests(deferred, total);
    let redeferred = 0;
    let videoFrames = 0;
    deferred.on('frame', (frame) => {
      // As the gateway does after each part: defer again from inside a frame listener, now and then.
      if (frame.trackId === 0 && ++videoFrames % 10 === 0) {
        deferred.deferReadsUntil(performance.now() + 60_000);
        redeferred++;
      }
    });
    const [resumesBefore, drainsBefore] = [defaultReadScheduler.resumes, defaultReadScheduler.drains];
    await deferred.connect();
    deferred.deferReadsUntil(performance.now() + 60_000);
    expect(defaultReadScheduler.activeTimers).toBe(1);
    expect(await deferredFrames).toEqual(expected);
    expect(redeferred).toBe(recording.videoFrames / 10);
    // Reads did wait for drains, which read the paused socket in place (POSIX: it has a descriptor).
    if (process.platform === 'win32') expect(defaultReadScheduler.resumes - resumesBefore).toBeGreaterThan(0);
    else expect(defaultReadScheduler.drains - drainsBefore).toBeGreaterThan(0);
    expect(deferred.stats.errors).toEqual({});
    await deferred.close();
    expect([defaultReadScheduler.activeTimers, defaultReadScheduler.size, sessionTicker.size]).toEqual([0, 0, 0]);
    expect(sessionTicker.running).toBe(false);
  });

  it('a camera that hangs up while the socket is paused (read in place) is noticed at the next drain: CONNECTION_CLOSED', async () => {
    const peer = await listenOnLoopback(recordingCamera(recording, 64 * 1024, false, true));
    stop = peer.close;
    const session = new RtspSession({ url: `rtsp://127.0.0.1:${peer.port}/stream`, transport: 'tcp', readBatchMs: 20 });
    const frames = frameDigests(session, total);
    const failed = new Promise<unknown>((resolve) => session.once('error', resolve));
    const closed = new Promise<void>((resolve) => session.once('close', resolve));
    await session.connect();
    session.deferReadsUntil(performance.now() + 60_000);
    expect((await frames).length).toBe(total);
    expect(await failed).toMatchObject({ code: RtspErrorCode.CONNECTION_CLOSED });
    await closed;
    expect([defaultReadScheduler.activeTimers, defaultReadScheduler.size, sessionTicker.size]).toEqual([0, 0, 0]);
  });

  it('rtsps: a deferred session (paused at the end of each drain, TLS reads a record at a time) gets every frame', async () => {
    const plain = await listenOnLoopback(recordingCamera(recording, 3000));
    const eager = new RtspSession({ url: `rtsp://127.0.0.1:${plain.port}/stream`, transport: 'tcp' });
    const eagerFrames = frameDigests(eager, total);
    await eager.connect();
    const expected = await eagerFrames;
    await eager.close();
    await plain.close();

    const peer = await listenOnLoopback(recordingCamera(recording, 3000, true));
    stop = peer.close;
    const session = new RtspSession({
      url: `rtsps://127.0.0.1:${peer.port}/stream`,
      transport: 'tcp',
      readBatchMs: 20,
      tls: { ca: TEST_TLS_CERT },
    });
    const frames = frameDigests(session, total);
    const resumesBefore = defaultReadScheduler.resumes;
    await session.connect();
    session.deferReadsUntil(performance.now() + 60_000);
    expect(await frames).toEqual(expected);
    expect(defaultReadScheduler.resumes - resumesBefore).toBeGreaterThan(0);
    await session.close();
    expect([defaultReadScheduler.activeTimers, defaultReadScheduler.size, sessionTicker.size]).toEqual([0, 0, 0]);
  });

  it('without readBatchMs, deferReadsUntil does nothing', async () => {
    const peer = await listenOnLoopback(recordingCamera(recording, 64 * 1024));
    stop = peer.close;
    const session = new RtspSession({ url: `rtsp://127.0.0.1:${peer.port}/stream`, transport: 'tcp' });
    const frames = frameDigests(session, total);
    await session.connect();
    session.deferReadsUntil(performance.now() + 60_000);
    expect(defaultReadScheduler.size).toBe(0);
    expect((await frames).length).toBe(total);
    await session.close();
    expect(sessionTicker.size).toBe(0);
  });
});
