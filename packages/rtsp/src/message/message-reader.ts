import { RtspError, RtspErrorCode } from '../errors.js';
import { RtspHeaders } from './headers.js';
import type { RtspRequest, RtspResponse } from './message.js';

/** 64 KiB of status line and headers: real answers are under 2 KiB; bounds a header flood (B12, CVE-2018-4013). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** 256 header lines (gortsplib: 255). */
export const MAX_HEADER_COUNT = 256;
/** 128 KiB of body: an SDP is a few KiB (gortsplib's limit; B11, B13). */
export const MAX_BODY_BYTES = 128 * 1024;

export interface MessageReaderOptions {
  /**
   * The peer must open with RTSP (a client's reader: it sent a request and awaits the status line).
   * Its first bytes, after any CR/LF/SP/HT, must begin a response (`RTSP/`), a request or an interleaved
   * `$` frame; anything else (an HTTP or SSH server on the camera's port, a TLS server answering plain
   * RTSP, garbage) throws RTSP_INVALID_MESSAGE at once instead of being skipped as junk until the request
   * times out. After the first message or frame, junk is skipped as usual. Default false (servers, recordings).
   */
  strictStart?: boolean;
}

export interface MessageHandler {
  onResponse(response: RtspResponse): void;
  onRequest(request: RtspRequest): void;
  /** An interleaved binary frame (RFC 2326 §10.12). `payload` is not reused by the reader. */
  onInterleaved(channel: number, payload: Uint8Array): void;
}

const DOLLAR = 0x24;
const METHODS = [
  'OPTIONS',
  'DESCRIBE',
  'ANNOUNCE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
  'REDIRECT',
  'RECORD',
].map((m) => Buffer.from(`${m} `, 'latin1'));
/**
 * Matched case-insensitively: RTSP/1.0 takes HTTP/1.1's version syntax (RFC 2326 §3.1, RFC 2068 §3.1),
 * whose quoted literals are case-insensitive (RFC 2068 §2.1). Methods are case-sensitive (RFC 2326 §6.1).
 */
const RESPONSE_PREFIX = Buffer.from('RTSP/', 'latin1');
/** Longest prefix needed to recognise a message start ('GET_PARAMETER '). */
const MAX_PREFIX = 14;
/** 40 characters of a non-RTSP answer go into the error message: enough to read `HTTP/1.1 400 Bad Request`. */
const MAX_PREVIEW = 40;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

type Start = 'frame' | 'text' | 'junk' | 'incomplete';

/**
 * Incremental reader of an RTSP byte stream carrying responses, requests and
 * interleaved `$` frames in any order (RFC 2326 §10.12). Interleaved payloads
 * are views on the received chunk when they fit in it (the hot path: no copy);
 * a frame split across chunks is reassembled into a buffer of its own.
 * Bytes that start neither a frame nor a message are skipped and counted
 * (Canon VB-H47 sends junk between frames: gortsplib PR #653), except, with
 * `strictStart`, before the first message: see {@link MessageReaderOptions}.
 * Limits are enforced before anything is allocated; exceeding one throws
 * RtspError (the connection cannot be trusted afterwards).
 */
export class MessageReader {
  /** Bytes skipped while resynchronizing. */
  junkBytes = 0;
  readonly #handler: MessageHandler;
  /** True until the first message or frame starts, when the peer must open with RTSP. */
  #expectingStart: boolean;
  /** Unparsed bytes of a text message or frame header, carried to the next chunk. */
  #pending: Buffer | undefined;
  /** A frame being reassembled across chunks. */
  #frame: { channel: number; buffer: Uint8Array; filled: number } | undefined;

  constructor(handler: MessageHandler, options: MessageReaderOptions = {}) {
    this.#handler = handler;
    this.#expectingStart = options.strictStart ?? false;
  }

  feed(chunk: Buffer): void {
    let data = chunk;
    let at = 0;
    const frame = this.#frame;
    if (frame !== undefined) {
      const take = Math.min(frame.buffer.length - frame.filled, data.length);
      frame.buffer.set(data.subarray(0, take), frame.filled);
      frame.filled += take;
      at = take;
      if (frame.filled < frame.buffer.length) return;
      this.#frame = undefined;
      this.#handler.onInterleaved(frame.channel, frame.buffer);
    } else if (this.#pending !== undefined) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }

    while (at < data.length) {
      if (this.#expectingStart) {
        // Blank lines before the first message are tolerated, as HTTP/1.1 servers do before a request (RFC 9112 §2.2).
        const next = skipBlanks(data, at);
        this.junkBytes += next - at;
        at = next;
        if (at === data.length) break;
      }
      const start = classify(data, at, this.#expectingStart);
      if (start === 'incomplete') break;
      if (start === 'junk' && this.#expectingStart) {
        throw new RtspError(RtspErrorCode.INVALID_MESSAGE, notRtsp(data, at));
      }
      this.#expectingStart = false;
      if (start === 'junk') {
        const next = skipJunk(data, at);
        this.junkBytes += next - at;
        at = next;
        continue;
      }
      const consumed = start === 'frame' ? this.#readFrame(data, at) : this.#readText(data, at);
      if (consumed === 0) break;
      at += consumed;
    }
    if (at < data.length && this.#frame === undefined) {
      this.#pending = Buffer.from(data.subarray(at));
    }
  }

  /** Returns bytes consumed, or 0 when more data is needed. */
  #readFrame(data: Buffer, at: number): number {
    if (data.length - at < 4) return 0;
    const channel = data[at + 1] as number;
    const size = data.readUInt16BE(at + 2);
    const end = at + 4 + size;
    if (end <= data.length) {
      this.#handler.onInterleaved(channel, data.subarray(at + 4, end));
      return 4 + size;
    }
    // Split frame: reassemble it (bounded by the 16-bit size: at most 64 KiB).
    const buffer = new Uint8Array(size);
    buffer.set(data.subarray(at + 4));
    this.#frame = { channel, buffer, filled: data.length - at - 4 };
    return data.length - at;
  }

  #readText(data: Buffer, at: number): number {
    const headerEnd = findHeaderEnd(data, at);
    if (headerEnd < 0) {
      if (data.length - at > MAX_HEADER_BYTES) {
        throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `RTSP header section exceeds ${MAX_HEADER_BYTES} bytes`);
      }
      return 0;
    }
    if (headerEnd - at > MAX_HEADER_BYTES) {
      throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `RTSP header section exceeds ${MAX_HEADER_BYTES} bytes`);
    }
    const text = data.toString('latin1', at, headerEnd);
    const bodyStart = headerEnd + (data[headerEnd] === 0x0d ? 4 : 2);
    const { startLine, headers } = parseHead(text);
    const bodyLength = contentLength(headers);
    if (data.length < bodyStart + bodyLength) return 0;
    const body = Uint8Array.prototype.slice.call(data, bodyStart, bodyStart + bodyLength);

    if (/^RTSP\//i.test(startLine)) {
      const match = /^RTSP\/\d+\.\d+\s+(\d{3})(?:\s+(.*))?$/i.exec(startLine);
      if (match === null) throw new RtspError(RtspErrorCode.INVALID_MESSAGE, 'malformed RTSP status line');
      this.#handler.onResponse({ statusCode: Number(match[1]), reason: match[2]?.trim() ?? '', headers, body });
    } else {
      const match = /^([A-Z_]+)\s+(\S+)\s+RTSP\/\d+\.\d+$/.exec(startLine);
      if (match === null) throw new RtspError(RtspErrorCode.INVALID_MESSAGE, 'malformed RTSP request line');
      this.#handler.onRequest({ method: match[1] as string, uri: match[2] as string, headers, body });
    }
    return bodyStart + bodyLength - at;
  }
}

/**
 * What the bytes at `at` start. `exact`: 'incomplete' only when they are a prefix of a message start;
 * otherwise any short run beginning with a capital waits for more data too.
 */
function classify(data: Buffer, at: number, exact: boolean): Start {
  const first = data[at] as number;
  if (first === DOLLAR) return 'frame';
  const available = data.length - at;
  const response = Math.min(RESPONSE_PREFIX.length, available);
  if (startsWithCaseless(data, at, response)) return response === RESPONSE_PREFIX.length ? 'text' : 'incomplete';
  for (const prefix of METHODS) {
    const n = Math.min(prefix.length, available);
    if (data.compare(prefix, 0, n, at, at + n) === 0) return n === prefix.length ? 'text' : 'incomplete';
  }
  return !exact && available < MAX_PREFIX && isUpper(first) ? 'incomplete' : 'junk';
}

/** Whether the `n` bytes at `at` are the first `n` bytes of `RTSP/`, in any case. */
function startsWithCaseless(data: Buffer, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const want = RESPONSE_PREFIX[i] as number;
    const byte = data[at + i] as number;
    if (byte !== want && !(isUpper(want) && byte === (want | 0x20))) return false;
  }
  return true;
}

function isUpper(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

/** Skips to the next byte that could start a frame or a message (`r` for a lower-case `rtsp/`). */
function skipJunk(data: Buffer, at: number): number {
  let next = at + 1;
  while (next < data.length) {
    const byte = data[next] as number;
    if (byte === DOLLAR || isUpper(byte) || byte === 0x72) break;
    next++;
  }
  return next;
}

function skipBlanks(data: Buffer, at: number): number {
  let next = at;
  while (next < data.length) {
    const byte = data[next] as number;
    if (byte !== CR && byte !== LF && byte !== SP && byte !== HT) break;
    next++;
  }
  return next;
}

/** Why the peer's first bytes are refused, with the start of its first line (printable ASCII, bounded). */
function notRtsp(data: Buffer, at: number): string {
  let text = '';
  for (let i = at; i < data.length && text.length < MAX_PREVIEW; i++) {
    const byte = data[i] as number;
    if (byte === CR || byte === LF) break;
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  // A TLS record starts with content type 22 (handshake) or 21 (alert): RFC 8446 §5.1.
  const tls = data[at] === 0x15 || data[at] === 0x16 ? ' (a TLS server: rtsps://?)' : '';
  return `the peer does not speak RTSP: its answer starts with "${text}"${tls}`;
}

/** Offset of the blank line ending the header section (CRLFCRLF, or bare LFLF), or -1. */
function findHeaderEnd(data: Buffer, from: number): number {
  const crlf = data.indexOf('\r\n\r\n', from, 'latin1');
  const lf = data.indexOf('\n\n', from, 'latin1');
  if (crlf < 0) return lf < 0 ? -1 : lf;
  return lf >= 0 && lf < crlf ? lf : crlf;
}

function parseHead(text: string): { startLine: string; headers: RtspHeaders } {
  const lines = text.split(/\r?\n/);
  const startLine = (lines.shift() ?? '').trim();
  const headers = new RtspHeaders();
  let last: [string, string] | undefined;
  const pairs: Array<[string, string]> = [];
  for (const line of lines) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      last[1] += ` ${line.trim()}`; // obsolete line folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header: skip it, like every tolerant client
    last = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    pairs.push(last);
    if (pairs.length > MAX_HEADER_COUNT) {
      throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `more than ${MAX_HEADER_COUNT} header lines`);
    }
  }
  for (const [name, value] of pairs) headers.append(name, value);
  return { startLine, headers };
}

/** Content-Length, validated before anything is allocated (B11: -1, 1e10, 2^63, conflicting duplicates). */
function contentLength(headers: RtspHeaders): number {
  const values = headers.getAll('Content-Length');
  if (values.length === 0) return 0;
  const first = values[0] as string;
  if (!/^\d{1,7}$/.test(first) || values.some((v) => v !== first)) {
    throw new RtspError(RtspErrorCode.INVALID_MESSAGE, 'invalid Content-Length');
  }
  const length = Number(first);
  if (length > MAX_BODY_BYTES) {
    throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `body of ${length} bytes exceeds ${MAX_BODY_BYTES}`);
  }
  return length;
}
