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
  /**
   * An interleaved binary frame (RFC 2326 §10.12). `payload` is valid only while this call runs: it is a
   * view on the chunk being fed (which the caller reuses for its next read) or on the reader's own
   * reassembly buffer. A handler that keeps bytes copies them.
   */
  onInterleaved(channel: number, payload: Uint8Array): void;
}

/** 65535 bytes: the largest interleaved payload (its size is a 16-bit field, RFC 2326 §10.12). */
export const MAX_INTERLEAVED_PAYLOAD = 0xffff;
/**
 * 4 KiB of carry to start with: it usually holds the few bytes of a frame header or message start cut
 * by the end of a read (at most 13), and grows only for a text message split across reads.
 */
const CARRY_INITIAL_BYTES = 4 * 1024;
/** The largest unfinished item the carry can hold: a whole message (header section, blank line, body). */
const CARRY_MAX_BYTES = MAX_HEADER_BYTES + 4 + MAX_BODY_BYTES;
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
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

type Start = 'frame' | 'text' | 'junk' | 'incomplete';

/**
 * Incremental reader of an RTSP byte stream carrying responses, requests and
 * interleaved `$` frames in any order (RFC 2326 §10.12). Interleaved payloads
 * are views on the fed chunk when they fit in it (the hot path: no copy); a
 * frame split across chunks is reassembled into one reusable 64 KiB buffer of
 * the reader. Either way a payload is valid only during `onInterleaved` (see
 * {@link MessageHandler}), so the caller may read the socket into one buffer it
 * reuses for every read. Bytes left over at the end of a chunk (a cut frame
 * header, an unfinished message) are carried in a reusable buffer of the reader,
 * not concatenated with each new chunk.
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
  /** Unparsed bytes of a text message, frame header or message start, carried to the next chunk. */
  #carry: Buffer | undefined;
  #carryLength = 0;
  /** Length the carried message needs before parsing it again is worth it (its Content-Length is known). */
  #carryNeed = 0;
  /** Bytes at the start of the carried message known to hold no blank line yet (where to resume the search). */
  #carryScanned = 0;
  /**
   * Reassembly buffer of frames split across chunks (allocated at the first split, then reused). A
   * plain Uint8Array: a frame's payload is a view on it (see #viewOn).
   */
  #frameBuffer: Uint8Array | undefined;
  /** Size of the frame being reassembled, or -1. */
  #frameSize = -1;
  #frameChannel = 0;
  #frameFilled = 0;
  /** A plain Uint8Array over the last chunk read from (the connection reuses one buffer), see #viewOn(). */
  #viewOf: Buffer | undefined;
  #view: Uint8Array = new Uint8Array(0);

  constructor(handler: MessageHandler, options: MessageReaderOptions = {}) {
    this.#handler = handler;
    this.#expectingStart = options.strictStart ?? false;
  }

  /** Reads `chunk[0, length)`. The reader keeps no reference to `chunk`: the caller may overwrite it afterwards. */
  feed(chunk: Buffer, length = chunk.length): void {
    const end = Math.min(length, chunk.length);
    let at = 0;
    while (at < end) {
      if (this.#frameSize >= 0) {
        at = this.#fillFrame(chunk, at, end);
      } else if (this.#carryLength > 0) {
        at = this.#topUp(chunk, at, end);
      } else {
        const stop = this.#parse(chunk, at, end);
        if (stop < end) this.#keep(chunk, stop, end);
        at = end;
      }
    }
  }

  /** Continues the frame being reassembled; emits it when complete. Returns where the chunk goes on. */
  #fillFrame(chunk: Buffer, at: number, end: number): number {
    const buffer = this.#frameBuffer as Uint8Array;
    const take = Math.min(this.#frameSize - this.#frameFilled, end - at);
    chunk.copy(buffer, this.#frameFilled, at, at + take);
    this.#frameFilled += take;
    if (this.#frameFilled === this.#frameSize) {
      const size = this.#frameSize;
      this.#frameSize = -1;
      this.#handler.onInterleaved(this.#frameChannel, buffer.subarray(0, size));
    }
    return at + take;
  }

  /**
   * Appends bytes of the chunk to the carry and parses it. Whatever completes is handed on; a frame
   * whose payload runs on goes to reassembly, so the rest of the chunk is then read in place.
   */
  #topUp(chunk: Buffer, at: number, end: number): number {
    let carry = this.#carry as Buffer;
    if (this.#carryLength === carry.length) carry = this.#growCarry(this.#carryLength + 1);
    const take = Math.min(end - at, carry.length - this.#carryLength);
    chunk.copy(carry, this.#carryLength, at, at + take);
    this.#carryLength += take;
    if (this.#carryLength < this.#carryNeed) return at + take;
    const stop = this.#parse(carry, 0, this.#carryLength);
    if (stop >= this.#carryLength || this.#frameSize >= 0) {
      this.#carryLength = 0;
    } else if (stop > 0) {
      carry.copyWithin(0, stop, this.#carryLength);
      this.#carryLength -= stop;
    }
    return at + take;
  }

  /** Carries `data[from, end)` (an unfinished item: bounded by the limits) to the next chunk. */
  #keep(data: Buffer, from: number, end: number): void {
    const length = end - from;
    const carry = this.#carry !== undefined && this.#carry.length >= length ? this.#carry : this.#growCarry(length);
    data.copy(carry, 0, from, end);
    this.#carryLength = length;
  }

  /** A carry of at least `length` bytes, keeping what it holds. */
  #growCarry(length: number): Buffer {
    if (length > CARRY_MAX_BYTES) {
      // The parser's limits stop any message before this; a guard against looping on a full carry.
      throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `RTSP message exceeds ${CARRY_MAX_BYTES} bytes`);
    }
    let size = this.#carry?.length ?? CARRY_INITIAL_BYTES;
    while (size < length) size *= 2;
    size = Math.min(size, CARRY_MAX_BYTES);
    const next = Buffer.allocUnsafe(size);
    if (this.#carry !== undefined) this.#carry.copy(next, 0, 0, this.#carryLength);
    this.#carry = next;
    return next;
  }

  /**
   * Reads frames and messages from `data[at, end)`. Returns the offset of the first byte of an
   * unfinished item (to be carried), or `end`. A frame cut by `end` goes to reassembly (consumed).
   */
  #parse(data: Buffer, from: number, end: number): number {
    let at = from;
    while (at < end) {
      if (this.#expectingStart) {
        // Blank lines before the first message are tolerated, as HTTP/1.1 servers do before a request (RFC 9112 §2.2).
        const next = skipBlanks(data, at, end);
        this.junkBytes += next - at;
        at = next;
        if (at === end) break;
      }
      const start = classify(data, at, end, this.#expectingStart);
      if (start === 'incomplete') break;
      if (start === 'junk' && this.#expectingStart) {
        throw new RtspError(RtspErrorCode.INVALID_MESSAGE, notRtsp(data, at, end));
      }
      this.#expectingStart = false;
      if (start === 'junk') {
        const next = skipJunk(data, at, end);
        this.junkBytes += next - at;
        at = next;
        continue;
      }
      const consumed = start === 'frame' ? this.#readFrame(data, at, end) : this.#readText(data, at, end);
      if (consumed === 0) break;
      at += consumed;
    }
    return at;
  }

  /**
   * A plain Uint8Array over `data`, made once per buffer: a frame's payload is a view on it. A
   * Buffer's subarray() goes through the species constructor and reads `.buffer` (V8's slow paths:
   * 2% of a camera's CPU, one per RTP packet); a Uint8Array's does not.
   */
  #viewOn(data: Buffer): Uint8Array {
    if (data !== this.#viewOf) {
      this.#viewOf = data;
      this.#view = new Uint8Array(data.buffer, data.byteOffset, data.length);
    }
    return this.#view;
  }

  /** Returns bytes consumed, or 0 when more data is needed. */
  #readFrame(data: Buffer, at: number, end: number): number {
    if (end - at < 4) return 0;
    const channel = data[at + 1] as number;
    const size = ((data[at + 2] as number) << 8) | (data[at + 3] as number);
    const frameEnd = at + 4 + size;
    if (frameEnd <= end) {
      this.#handler.onInterleaved(channel, this.#viewOn(data).subarray(at + 4, frameEnd));
      return 4 + size;
    }
    // Split frame: reassemble it (bounded by the 16-bit size: at most 64 KiB, one buffer reused).
    this.#frameBuffer ??= new Uint8Array(MAX_INTERLEAVED_PAYLOAD);
    this.#frameFilled = data.copy(this.#frameBuffer, 0, at + 4, end);
    this.#frameSize = size;
    this.#frameChannel = channel;
    return end - at;
  }

  #readText(data: Buffer, at: number, end: number): number {
    // Hints about a message carried from earlier chunks apply only where it starts: the carry's offset 0.
    const carried = data === this.#carry && at === 0;
    const scanFrom = carried ? Math.max(0, this.#carryScanned - 3) : 0;
    this.#carryNeed = 0;
    this.#carryScanned = 0;
    const headerEnd = findHeaderEnd(data, at + scanFrom, end);
    if (headerEnd < 0) {
      if (end - at > MAX_HEADER_BYTES) {
        throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `RTSP header section exceeds ${MAX_HEADER_BYTES} bytes`);
      }
      this.#carryScanned = end - at;
      return 0;
    }
    if (headerEnd - at > MAX_HEADER_BYTES) {
      throw new RtspError(RtspErrorCode.MESSAGE_TOO_LARGE, `RTSP header section exceeds ${MAX_HEADER_BYTES} bytes`);
    }
    const text = data.toString('latin1', at, headerEnd);
    const bodyStart = headerEnd + (data[headerEnd] === 0x0d ? 4 : 2);
    const { startLine, headers } = parseHead(text);
    const bodyLength = contentLength(headers);
    if (end < bodyStart + bodyLength) {
      this.#carryNeed = bodyStart + bodyLength - at;
      return 0;
    }
    // The body is kept by the message (an SDP parsed after an await): a copy, unlike frame payloads.
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
function classify(data: Buffer, at: number, end: number, exact: boolean): Start {
  const first = data[at] as number;
  if (first === DOLLAR) return 'frame';
  const available = end - at;
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
function skipJunk(data: Buffer, at: number, end: number): number {
  let next = at + 1;
  while (next < end) {
    const byte = data[next] as number;
    if (byte === DOLLAR || isUpper(byte) || byte === 0x72) break;
    next++;
  }
  return next;
}

function skipBlanks(data: Buffer, at: number, end: number): number {
  let next = at;
  while (next < end) {
    const byte = data[next] as number;
    if (byte !== CR && byte !== LF && byte !== SP && byte !== HT) break;
    next++;
  }
  return next;
}

/** Why the peer's first bytes are refused, with the start of its first line (printable ASCII, bounded). */
function notRtsp(data: Buffer, at: number, end: number): string {
  let text = '';
  for (let i = at; i < end && text.length < MAX_PREVIEW; i++) {
    const byte = data[i] as number;
    if (byte === CR || byte === LF) break;
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  // A TLS record starts with content type 22 (handshake) or 21 (alert): RFC 8446 §5.1.
  const tls = data[at] === 0x15 || data[at] === 0x16 ? ' (a TLS server: rtsps://?)' : '';
  return `the peer does not speak RTSP: its answer starts with "${text}"${tls}`;
}

/** Offset of the blank line ending the header section (CRLFCRLF, or bare LFLF) in `data[from, end)`, or -1. */
function findHeaderEnd(data: Buffer, from: number, end: number): number {
  const crlf = data.indexOf(CRLFCRLF, from);
  const lf = data.indexOf(LFLF, from);
  const crlfEnd = crlf >= 0 && crlf + 4 <= end ? crlf : -1;
  const lfEnd = lf >= 0 && lf + 2 <= end ? lf : -1;
  if (crlfEnd < 0) return lfEnd;
  return lfEnd >= 0 && lfEnd < crlfEnd ? lfEnd : crlfEnd;
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
