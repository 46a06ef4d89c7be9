import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import {
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  MAX_INTERLEAVED_PAYLOAD,
  MessageReader,
  type MessageReaderOptions,
} from './message-reader.js';
import type { RtspRequest, RtspResponse } from './message.js';

type Event =
  | { type: 'response'; status: number; reason: string; headers: Array<[string, string]>; body: string }
  | { type: 'request'; method: string; uri: string; headers: Array<[string, string]> }
  | { type: 'frame'; channel: number; payload: number[] };

function reader(options: MessageReaderOptions = {}) {
  const events: Event[] = [];
  const r = new MessageReader(
    {
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
    },
    options,
  );
  return {
    r,
    events,
    feed: (...chunks: Array<string | number[]>) =>
      chunks.forEach((c) => r.feed(Buffer.from(typeof c === 'string' ? Buffer.from(c, 'latin1') : c))),
  };
}

/** Like reader(), with payloads and bodies as base64 text: quick to compare when they are 64 KiB. */
function compactReader() {
  const events: string[] = [];
  const r = new MessageReader({
    onResponse: (res) =>
      events.push(`${res.statusCode} ${[...res.headers].join()} ${Buffer.from(res.body).toString('base64')}`),
    onRequest: (req) => events.push(`${req.method} ${req.uri} ${[...req.headers].join()}`),
    onInterleaved: (channel, payload) => events.push(`$${channel} ${Buffer.from(payload).toString('base64')}`),
  });
  return { r, events };
}

/** The connection's read buffer size (rtsp-connection.ts). */
const READ_BUFFER_BYTES = 64 * 1024;

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

  it('reads a message whose body spans many reads (the carry grows to the message, within the limits)', () => {
    const body = 'a'.repeat(MAX_BODY_BYTES);
    const message = Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const t = reader();
    for (let at = 0; at < message.length; at += 1000) t.r.feed(message.subarray(at, at + 1000));
    t.feed([0x24, 0x01, 0x00, 0x01, 7]);
    expect(t.events.map((e) => (e.type === 'response' ? e.body.length : e.type))).toEqual([MAX_BODY_BYTES, 'frame']);
  });

  it('reassembles a 65535-byte frame cut into many reads, twice, in its reused buffer', () => {
    const payload = Buffer.alloc(0xffff, 0x5a);
    const stream = Buffer.concat([Buffer.from([0x24, 0x00, 0xff, 0xff]), payload]);
    const payloads: Uint8Array[] = [];
    const r = new MessageReader({
      onResponse: () => undefined,
      onRequest: () => undefined,
      onInterleaved: (_c, p) => payloads.push(p),
    });
    for (const size of [1, 7000]) {
      for (let at = 0; at < stream.length; at += size) r.feed(stream.subarray(at, at + size));
    }
    expect(payloads.map((p) => p.length)).toEqual([0xffff, 0xffff]);
    expect(payloads[1]?.buffer).toBe(payloads[0]?.buffer); // one buffer, reused
    expect(Buffer.from(payloads[1] as Uint8Array).equals(payload)).toBe(true);
  });

  it('reads only `length` bytes of the chunk (a read buffer longer than the read)', () => {
    const t = reader();
    const buffer = Buffer.alloc(64, 0x24); // stale bytes after the read look like frame starts
    buffer.set([0x24, 0x01, 0x00, 0x02, 8, 9]);
    t.r.feed(buffer, 6);
    expect(t.events).toEqual([{ type: 'frame', channel: 1, payload: [8, 9] }]);
  });

  it('fuzz: one read buffer, reused and overwritten after each read, yields what the whole stream yields', () => {
    const text = fc
      .constantFrom(
        DESCRIBE_OK,
        'GET_PARAMETER rtsp://x/ RTSP/1.0\r\nCSeq: 4\r\n\r\n',
        'RTSP/1.0 200 OK\nCSeq: 5\n\n',
        `RTSP/1.0 200 OK\r\nContent-Length: 3000\r\n\r\n${'b'.repeat(3000)}`,
      )
      .map((s) => Buffer.from(s));
    const frame = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.oneof(
          fc.integer({ min: 1, max: 1500 }),
          fc.integer({ min: 1500, max: 20_000 }),
          fc.constant(MAX_INTERLEAVED_PAYLOAD),
        ),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([channel, size, fill]) => {
        const bytes = Buffer.alloc(4 + size, fill);
        bytes.set([0x24, channel, size >> 8, size & 0xff]);
        bytes[4 + ((fill * 7919) % size)] = fill ^ 0xff; // not one repeated byte: a shifted view would differ
        return bytes;
      });
    const junk = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b));
    const readBuffer = Buffer.alloc(READ_BUFFER_BYTES);
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: frame }, { weight: 2, arbitrary: text }, junk), { maxLength: 16 }),
        fc.array(fc.integer({ min: 1, max: READ_BUFFER_BYTES }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 255 }),
        (pieces, sizes, scribble) => {
          const all = Buffer.concat(pieces);
          const whole = compactReader();
          whole.r.feed(Buffer.from(all));
          const chunked = compactReader();
          for (let at = 0, i = 0; at < all.length; i++) {
            const size = Math.min(sizes[i % sizes.length] as number, all.length - at);
            all.copy(readBuffer, 0, at, at + size);
            chunked.r.feed(readBuffer, size);
            readBuffer.fill(scribble); // the next read overwrites the buffer: nothing may still point into it
            at += size;
          }
          expect(chunked.events).toEqual(whole.events);
          expect(chunked.r.junkBytes).toBe(whole.r.junkBytes);
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });
});

/** What a strict-start reader makes of a byte stream fed in chunks of `size`: its events, then its error code. */
function strictOutcome(bytes: Buffer, size: number): { events: string[]; code?: string; junk: number } {
  const t = reader({ strictStart: true });
  try {
    for (let at = 0; at < bytes.length; at += size) t.r.feed(bytes.subarray(at, at + size));
  } catch (err) {
    if (!isCodedError(err)) throw err;
    return { events: t.events.map((e) => e.type), code: err.code, junk: t.r.junkBytes };
  }
  return { events: t.events.map((e) => e.type), junk: t.r.junkBytes };
}

const OK = 'RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n';

describe('MessageReader with strictStart (a client awaiting a status line)', () => {
  it.for([
    ['a response', OK, ['response'], 0],
    ['a response with bare LF line endings', 'RTSP/1.0 200 OK\nCSeq: 1\n\n', ['response'], 0],
    ['leading CR/LF before the status line', `\r\n\r\n${OK}`, ['response'], 4],
    ['leading spaces and tabs', ` \t${OK}`, ['response'], 2],
    ['"rtsp/" in lower case (RFC 2326 §3.1: case-insensitive)', 'rtsp/1.0 200 OK\r\nCSeq: 1\r\n\r\n', ['response'], 0],
    ['"Rtsp/" in mixed case', 'Rtsp/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n', ['response'], 0],
    [
      'an interleaved frame first',
      Buffer.from([0x24, 0x00, 0x00, 0x01, 0x09, ...Buffer.from(OK)]),
      ['frame', 'response'],
      0,
    ],
    ['a request from the server first', `OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n${OK}`, ['request', 'response'], 0],
    [
      'junk after the first message is skipped (Canon VB-H47)',
      `${OK}\x00\x01garbage\r\n${OK}`,
      ['response', 'response'],
      11,
    ],
    [
      'a body longer than its Content-Length: the rest is junk',
      `RTSP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nab\r\n${OK}`,
      ['response', 'response'],
      3,
    ],
    ['nothing but blank lines yet', '\r\n\r\n', [], 4],
    ['the start of a status line, waiting for the rest', 'RTS', [], 0],
    ['the start of "GET_PARAMETER ", waiting for the rest', 'GET_PARAM', [], 0],
  ] as const)('accepts %s', ([, input, events, junk]) => {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
    for (const size of [bytes.length, 1, 3]) {
      expect(strictOutcome(bytes, Math.max(size, 1))).toEqual({ events, junk });
    }
  });

  it.for([
    ['an HTTP server (400 Bad Request)', 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'],
    ['an HTTP/1.0 answer after a blank line', '\r\nHTTP/1.0 200 OK\r\n\r\n<html>'],
    ['an SSH server banner', 'SSH-2.0-OpenSSH_9.6\r\n'],
    ['a TLS alert (an rtsps-only port)', Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32])],
    ['HTML', '<!DOCTYPE html><html>'],
    ['a NUL byte', Buffer.from([0x00, 0x52, 0x54, 0x53, 0x50, 0x2f])],
    ['a near miss: "RTSQ/"', 'RTSQ/1.0 200 OK\r\n\r\n'],
    ['a near miss: "RTSP 1.0" without the slash', 'RTSP 1.0 200 OK\r\n\r\n'],
    ['an HTTP request method RTSP does not have', 'GET / HTTP/1.1\r\n\r\n'],
    ['a request method in lower case (RFC 2326 §6.1: methods are case-sensitive)', 'options * RTSP/1.0\r\n\r\n'],
    ['a lone capital that starts no message', 'H'],
  ] as const)('fails with RTSP_INVALID_MESSAGE at once on %s', ([, input]) => {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
    for (const size of [bytes.length, 1, 2]) {
      expect(strictOutcome(bytes, size)).toMatchObject({ events: [], code: RtspErrorCode.INVALID_MESSAGE });
    }
  });

  it('says what the peer answered, bounded and printable', () => {
    const t = reader({ strictStart: true });
    expect(() => t.feed(`HTTP/1.1 400 Bad Request\r\n${'x'.repeat(1000)}`)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"HTTP/1.1 400 Bad Request"') as unknown }),
    );
    const u = reader({ strictStart: true });
    expect(() => u.feed([0x16, 0x03, 0x01, ...Buffer.from('z'.repeat(1000))])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^[\x20-\x7e]{1,200}$/) as unknown }),
    );
  });

  it('without strictStart, the same answers are skipped as junk (servers, recordings)', () => {
    const t = reader();
    t.feed(`HTTP/1.1 400 Bad Request\r\n\r\n${OK}`);
    expect(t.events.map((e) => e.type)).toEqual(['response']);
  });

  it(
    'fuzz: strictStart: events or a coded error, the same however the stream is chunked',
    { timeout: fuzzTimeout() },
    () => {
      const piece = fc.oneof(
        fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
        fc
          .constantFrom('\r\n', 'RTSP/', 'rtsp/', 'HTTP/1.1 400 Bad Request\r\n\r\n', OK, DESCRIBE_OK)
          .map((s) => Buffer.from(s)),
        fc.uint8Array({ maxLength: 8 }).map((p) => Buffer.from([0x24, 0, 0, p.length, ...p])),
      );
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 8 }), fc.integer({ min: 1, max: 16 }), (pieces, size) => {
          const all = Buffer.concat(pieces);
          const whole = strictOutcome(all, Math.max(all.length, 1));
          expect(strictOutcome(all, size)).toEqual(whole);
          if (whole.code === RtspErrorCode.INVALID_MESSAGE && whole.events.length === 0) {
            // Refused at the start: the first non-blank byte begins neither a message nor a frame.
            const first = all.findIndex((b) => ![0x0d, 0x0a, 0x20, 0x09].includes(b));
            expect(all[first]).not.toBe(0x24);
          }
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
