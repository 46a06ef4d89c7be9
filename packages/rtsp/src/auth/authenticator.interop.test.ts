// Real peers: GStreamer's RTSP server (Basic) and ffmpeg as an independent Digest implementation.
import { createConnection, createServer } from 'node:net';
import {
  type GstRtspServer,
  hasTools,
  listenOnLoopback,
  requireTools,
  runProcess,
  startGstRtspServer,
} from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { parseWwwAuthenticate } from '../headers/www-authenticate.js';
import { parseRtspUrl } from '../url/rtsp-url.js';
import { Authenticator } from './authenticator.js';

interface Response {
  status: number;
  headers: Array<[string, string]>;
}

/** 64 KiB: far above a DESCRIBE answer from the fixture; a test peer sending more is broken. */
const MAX_TEST_RESPONSE = 64 * 1024;

/** A bare RTSP connection for tests: one request at a time, responses read by Content-Length. */
async function connect(host: string, port: number) {
  const socket = createConnection({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  let buffered = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiter?.();
  });
  socket.on('close', () => waiter?.());

  const request = async (head: string): Promise<Response> => {
    socket.write(`${head}\r\n`);
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
        const headers = lines.slice(1).map((line): [string, string] => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        });
        const length = Number(headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
        if (buffered.length >= end + 4 + length) {
          buffered = buffered.subarray(end + 4 + length);
          return { status: Number(lines[0]?.split(' ')[1]), headers };
        }
      }
      if (socket.destroyed || buffered.length > MAX_TEST_RESPONSE) throw new Error('no complete response');
      await new Promise<void>((resolve) => (waiter = resolve));
    }
  };
  return { request, close: () => socket.destroy() };
}

const values = (response: Response, name: string) =>
  response.headers.filter(([key]) => key === name).map(([, value]) => value);

describe('Authenticator against GStreamer RTSP server (Basic)', () => {
  let server: GstRtspServer | undefined;
  beforeAll(async () => {
    if (hasTools('gst-rtsp-server')) server = await startGstRtspServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** DESCRIBE, then as many authenticated retries as the Authenticator allows. */
  async function describeWith(input: string): Promise<{ auth: Authenticator; status: number; lines: string[] }> {
    const { url, credentials, host, port } = parseRtspUrl(input);
    const auth = new Authenticator(credentials);
    const connection = await connect(host, port);
    const lines: string[] = [];
    try {
      for (let cseq = 1; ; cseq++) {
        const authorization = auth.authorization('DESCRIBE', url.href);
        const line = `DESCRIBE ${url.href} RTSP/1.0`;
        lines.push(line);
        const response = await connection.request(
          `${line}\r\nCSeq: ${cseq}\r\nUser-Agent: camgate-test\r\nAccept: application/sdp\r\n` +
            (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`),
        );
        if (response.status !== 401) {
          if (response.status === 200) auth.onSuccess();
          return { auth, status: response.status, lines };
        }
        if (!auth.onUnauthorized(parseWwwAuthenticate(values(response, 'www-authenticate')))) {
          return { auth, status: 401, lines };
        }
      }
    } finally {
      connection.close();
    }
  }

  it('authenticates with the credentials from the URL; they never reach the request line', async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server');
    const { auth, status, lines } = await describeWith(server!.authUrl());
    expect(status).toBe(200);
    expect(auth.scheme).toBe('Basic');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(server!.password);
  });

  it('reports RTSP_AUTH_FAILED for a wrong password, without the password', async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server');
    const { auth, status } = await describeWith(server!.authUrl({ user: 'camgate', password: 'canary-Wr0ng' }));
    expect(status).toBe(401);
    const error = auth.failure();
    expect(error.code).toBe(RtspErrorCode.AUTH_FAILED);
    expect(error.message).not.toContain('canary-Wr0ng');
  });

  it('reports RTSP_AUTH_REQUIRED without credentials', async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server');
    const { auth, status } = await describeWith(server!.authUrl(null));
    expect(status).toBe(401);
    expect(auth.failure().code).toBe(RtspErrorCode.AUTH_REQUIRED);
  });
});

describe('Authenticator agrees with ffmpeg on Digest', () => {
  /** Answers every request with 401 and `challenge`; collects the requests. */
  async function scriptedCamera(challenge: string) {
    const requests: string[] = [];
    const server = createServer((socket) => {
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          const head = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          requests.push(head);
          const cseq = /^cseq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
          socket.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: ${challenge}\r\n\r\n`);
        }
      });
      socket.on('error', () => socket.destroy());
    });
    return { ...(await listenOnLoopback(server)), requests };
  }

  it.for([
    [
      'MD5, no qop (Hikvision)',
      'Digest realm="IP Camera(23306)", nonce="a946c352dd3ad04cf9830d5e72ffb11e", stale="FALSE"',
    ],
    [
      'MD5 with qop=auth and opaque',
      'Digest realm="Login to 4K01FD2PAJ6E3FF", nonce="203c8d27", qop="auth", opaque="o1"',
    ],
    ['MD5-sess with qop=auth', 'Digest realm="x", nonce="n", qop="auth", algorithm=MD5-sess, opaque="o"'],
  ] as const)('%s', async ([, challenge], ctx) => {
    const { ffprobe } = requireTools(ctx, 'ffprobe');
    const camera = await scriptedCamera(challenge);
    // A password with an encoded '@', ':' and '%': both sides must decode it the same way.
    const input = `rtsp://admin:se%40c%3Aret%25@127.0.0.1:${camera.port}/cam/realmonitor?channel=1&subtype=0`;
    try {
      await runProcess(ffprobe, ['-v', 'error', '-rtsp_transport', 'tcp', input], { timeoutMs: 20_000 });
    } finally {
      await camera.close();
    }

    const authenticated = camera.requests.find((head) => /^authorization: digest /im.test(head));
    expect(authenticated).toBeDefined();
    const [method = '', uri = ''] = authenticated!.split(' ');
    const theirs = digestParams(/^authorization: (digest .*)$/im.exec(authenticated!)![1]!);

    const { url, credentials } = parseRtspUrl(input);
    expect(uri).toBe(url.href);
    const auth = new Authenticator(credentials, { cnonce: () => theirs.get('cnonce') ?? 'unused' });
    expect(auth.onUnauthorized(parseWwwAuthenticate([challenge]))).toBe(true);
    const ours = digestParams(auth.authorization(method, uri)!);
    for (const name of ['username', 'realm', 'nonce', 'uri', 'response', 'opaque', 'qop', 'nc', 'cnonce']) {
      expect([name, ours.get(name)]).toEqual([name, theirs.get(name)]);
    }
  });
});

function digestParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of header.slice('Digest '.length).matchAll(/([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi)) {
    params.set(match[1]!.toLowerCase(), (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  return params;
}
