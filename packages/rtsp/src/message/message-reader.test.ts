import { isCodedError } from '@camgate/bits';
import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { MAX_BODY_BYTES, MAX_HEADER_BYTES, MessageReader } from './message-reader.js';
import type { RtspRequest, RtspResponse } from './message.js';

type Event =
  | { type: 'response'; status: number; reason: string; headers: Array<[string, string]>; body: string }
  | { type: 'request'; method: string; uri: string; headers: Array<[string, string]> }
  | { type: 'frame'; channel: number; payload: number[] };

function reader() {
  const events: Event[] = [];
  const r = new MessageReader({
    onResponse: (res: RtspResponse) =>
      events.push({
        type: 'response',
        status: res.statusCode,
        reason: res.reason,
        headers: [...res.headers],
        body: Buffer.from(res.body).toString(),
      }),
    onRequest: (req: RtspRequest) =>
      events.push({ type: 'request', method: req.method, uri: req.uri, headers: [...req.headers] }),
    onInterleaved: (channel, payload) => events.push({ type: 'frame', channel, payload: [...payload] }),
  });
  return {
    r,
    events,
    feed: (...chunks: Array<string | number[]>) =>
      chunks.forEach((c) => r.feed(Buffer.from(typeof c === 'string' ? Buffer.from(c, 'latin1') : c))),
  };
}

const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\n';
const DESCRIBE_OK = `RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;

describe('MessageReader', () => {
  it('reads a response with a body', () => {
    const t = reader();
    t.feed(DESCRIBE_OK);
    expect(t.events).toEqual([
      {
        type: 'response',
        status: 200,
        reason: 'OK',
        headers: [
          ['CSeq', '2'],
          ['Content-Type', 'application/sdp'],
          ['Content-Length', String(SDP.length)],
        ],
        body: SDP,
      },
    ]);
  });

  it('reads a response split at every byte', () => {
    const t = reader();
    for (const ch of DESCRIBE_OK) t.feed(ch);
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatchObject({ status: 200, body: SDP });
  });

  it('interleaves frames, responses and server requests in one chunk', () => {
    const t = reader();
    t.feed([
      ...[0x24, 0x00, 0x00, 0x03, 1, 2, 3],
      ...Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n\r\n'),
      ...[0x24, 0x01, 0x00, 0x01, 7],
      ...Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n'),
    ]);
    expect(t.events.map((e) => e.type)).toEqual(['frame', 'request', 'frame', 'response']);
    expect(t.events[1]).toMatchObject({ method: 'OPTIONS', uri: '*' });
  });

  it('reassembles a frame split across chunks', () => {
    const t = reader();
    t.feed([0x24, 0x02], [0x00, 0x05, 1, 2], [3], [4, 5, 0x24, 0x02, 0x00, 0x01, 9]);
    expect(t.events).toEqual([
      { type: 'frame', channel: 2, payload: [1, 2, 3, 4, 5] },
      { type: 'frame', channel: 2, payload: [9] },
    ]);
  });

  it('hands out frame payloads as views on the chunk (no copy)', () => {
    let payload: Uint8Array | undefined;
    const r = new MessageReader({
      onResponse: () => undefined,
      onRequest: () => undefined,
      onInterleaved: (_c, p) => (payload = p),
    });
    const chunk = Buffer.from([0x24, 0, 0, 2, 8, 9]);
    r.feed(chunk);
    expect(payload?.buffer).toBe(chunk.buffer);
  });

  it('skips junk between frames and messages (Canon VB-H47) and counts it', () => {
    const t = reader();
    t.feed(
      [0x01, 0x02, 0x24, 0x00, 0x00, 0x01, 0xaa, 0x0d, 0x0a, 0x00],
      'garbage\r\nRTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n',
    );
    expect(t.events.map((e) => e.type)).toEqual(['frame', 'response']);
    expect(t.r.junkBytes).toBe(2 + 3 + 9);
  });

  it('tolerates bare LF line endings, a missing reason, spaces and folded headers', () => {
    const t = reader();
    t.feed('RTSP/1.0 401\nCSeq:  3 \nWWW-Authenticate: Digest realm="a",\n  nonce="b"\nnot a header\n\n');
    expect(t.events).toEqual([
      {
        type: 'response',
        status: 401,
        reason: '',
        headers: [
          ['CSeq', '3'],
          ['WWW-Authenticate', 'Digest realm="a", nonce="b"'],
        ],
        body: '',
      },
    ]);
  });

  it.each([
    ['-1', RtspErrorCode.INVALID_MESSAGE],
    ['1e10', RtspErrorCode.INVALID_MESSAGE],
    ['9223372036854775808', RtspErrorCode.INVALID_MESSAGE],
    [String(MAX_BODY_BYTES + 1), RtspErrorCode.MESSAGE_TOO_LARGE],
  ])('rejects Content-Length %s before allocating (B11)', (length, code) => {
    const t = reader();
    expect(() => t.feed(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: ${length}\r\n\r\n`)).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('rejects conflicting duplicate Content-Length headers (B11)', () => {
    const t = reader();
    expect(() => t.feed('RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_MESSAGE }),
    );
  });

  it('caps the header section and the header count (B12)', () => {
    const t = reader();
    expect(() => t.feed(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(MAX_HEADER_BYTES)}`)).toThrow(
      expect.objectContaining({ code: RtspErrorCode.MESSAGE_TOO_LARGE }),
    );
    const u = reader();
    expect(() => u.feed(`RTSP/1.0 200 OK\r\n${'X: 1\r\n'.repeat(10_000)}\r\n`)).toThrow(
      expect.objectContaining({ code: RtspErrorCode.MESSAGE_TOO_LARGE }),
    );
  });

  it('waits for the rest of a 65535-byte frame without growing (B10)', () => {
    const t = reader();
    t.feed([0x24, 0x00, 0xff, 0xff, 1, 2, 3]);
    expect(t.events).toEqual([]);
  });

  it('fuzz: any byte stream yields events or a coded error', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .constantFrom(DESCRIBE_OK, 'OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n', 'RTSP/1.0 200 OK\r\n\r\n')
        .map((s) => Buffer.from(s)),
      fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 30 }))
        .map(([ch, p]) => Buffer.from([0x24, ch, 0, p.length, ...p])),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (pieces, chunkSize) => {
        const all = Buffer.concat(pieces);
        const t = reader();
        try {
          for (let at = 0; at < all.length; at += chunkSize) t.r.feed(all.subarray(at, at + chunkSize));
        } catch (err) {
          expect(isCodedError(err)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('fuzz: chunking never changes what is read', () => {
    const piece = fc.oneof(
      fc.constantFrom(DESCRIBE_OK, 'GET_PARAMETER rtsp://x/ RTSP/1.0\r\nCSeq: 4\r\n\r\n').map((s) => Buffer.from(s)),
      fc
        .tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 300 }))
        .map(([ch, p]) => Buffer.from([0x24, ch, p.length >> 8, p.length & 0xff, ...p])),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
        (pieces, sizes) => {
          const all = Buffer.concat(pieces);
          const whole = reader();
          whole.r.feed(all);
          const chunked = reader();
          for (let at = 0, i = 0; at < all.length; i++) {
            const size = sizes[i % sizes.length] as number;
            chunked.r.feed(all.subarray(at, at + size));
            at += size;
          }
          expect(chunked.events).toEqual(whole.events);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
