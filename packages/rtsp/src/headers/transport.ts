import { RtspError, RtspErrorCode } from '../errors.js';

/** 4 KiB: a real Transport header is one to three specs of ~100 bytes; bounds the work per SETUP reply. */
export const MAX_TRANSPORT_HEADER_LENGTH = 4096;
/** 8 specs: clients offer at most a handful of alternatives; servers answer with one. */
export const MAX_TRANSPORT_SPECS = 8;
/** 255 bytes: the longest DNS name; `source`/`destination` longer than that are dropped. */
const MAX_ADDRESS_LENGTH = 255;
/** 20 hex digits: the longest `ssrc` seen from a camera (B16); longer values are dropped. */
const MAX_SSRC_HEX_DIGITS = 20;
/** 255: interleaved channels are one byte on the wire (RFC 2326 §10.12). */
const MAX_INTERLEAVED_CHANNEL = 255;
const MAX_PORT = 65_535;

/** One transport specification of a Transport header (RFC 2326 §12.39, RFC 7826 §18.54). */
export interface TransportSpec {
  /** `RTP/AVP`, `RTP/AVP/TCP`, `RTP/SAVP`, ... as sent (trimmed). */
  protocol: string;
  lowerTransport: 'udp' | 'tcp';
  delivery?: 'unicast' | 'multicast';
  interleaved?: [number, number];
  clientPort?: [number, number];
  serverPort?: [number, number];
  /** Multicast `port=` (RFC 2326 §12.39). */
  port?: [number, number];
  source?: string;
  destination?: string;
  /** SSRC (hex in the header), 32 bits. */
  ssrc?: number;
  /** Upper-cased method name (`PLAY`, `RECORD`), quotes removed. */
  mode?: string;
  ttl?: number;
}

/** `RTP/AVP`, `RTP/AVP/TCP`, `RTP/SAVPF/UDP`: transport-protocol/profile[/lower-transport], RTP only. */
const PROTOCOL = /^RTP\/[A-Z0-9]{1,16}(?:\/(TCP|UDP))?$/i;
/** Host names, IPv4 and IPv6 addresses (optionally bracketed); anything else is not an address. */
const ADDRESS = /^[A-Za-z0-9._:[\]%-]+$/;

/**
 * Parses a Transport header into its usable specs, in order. A header may list
 * several specs separated by `,`; an unusable spec (no RTP protocol, bad
 * `interleaved`) is skipped, and malformed optional parameters are dropped.
 * Tolerates parameters in any case and order, spaces around `;` and `=`, and
 * quoted values (`mode="PLAY"`, GStreamer).
 *
 * @throws RtspError RTSP_INVALID_HEADER when the header is longer than 4 KiB or no spec is usable.
 */
export function parseTransportHeader(value: string): TransportSpec[] {
  if (value.length > MAX_TRANSPORT_HEADER_LENGTH) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent an oversized Transport header');
  }
  const specs: TransportSpec[] = [];
  for (const part of splitOutsideQuotes(value, ',')) {
    const spec = parseSpec(part);
    if (spec !== undefined) specs.push(spec);
    if (specs.length === MAX_TRANSPORT_SPECS) break;
  }
  if (specs.length === 0) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent no usable Transport specification');
  }
  return specs;
}

function parseSpec(text: string): TransportSpec | undefined {
  const params = splitOutsideQuotes(text, ';').map((param) => param.trim());
  // The protocol comes first (RFC 2326 §12.39), but some servers put it anywhere (gortsplib "unsorted" case).
  const protocolMatch = params.map((param) => PROTOCOL.exec(param)).find((match) => match !== null);
  if (protocolMatch === undefined) return undefined;
  const protocol = protocolMatch[0];
  const explicitLower = protocolMatch[1]?.toLowerCase() as 'tcp' | 'udp' | undefined;
  const spec: TransportSpec = { protocol, lowerTransport: explicitLower ?? 'udp' };

  for (const param of params) {
    if (param === protocol) continue;
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? undefined : unquote(param.slice(eq + 1).trim());
    switch (name) {
      case 'unicast':
      case 'multicast':
        spec.delivery = name;
        break;
      case 'interleaved': {
        // The TCP demultiplexer depends on these channels: a bad value makes the whole spec unusable.
        const channels = raw === undefined ? undefined : parseRange(raw, 0, MAX_INTERLEAVED_CHANNEL);
        if (channels === undefined) return undefined;
        spec.interleaved = channels;
        break;
      }
      case 'client_port':
      case 'server_port':
      case 'port': {
        // Port 0 (`server_port=0`, `0-1`) means "unknown": the client then accepts any source port
        // (gortsplib 363871d6, ba7f9aff). A single port N means N-(N+1) (gortsplib "single port" case).
        const ports = raw === undefined ? undefined : parseRange(raw, 1, MAX_PORT);
        if (ports === undefined) break;
        if (name === 'client_port') spec.clientPort = ports;
        else if (name === 'server_port') spec.serverPort = ports;
        else spec.port = ports;
        break;
      }
      case 'source':
      case 'destination':
        // An empty `source=` is sent by some servers (gortsplib "empty source" case): treat as absent.
        if (raw !== undefined && raw !== '' && raw.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(raw)) {
          spec[name] = raw;
        }
        break;
      case 'ssrc': {
        const ssrc = raw === undefined ? undefined : parseSsrc(raw);
        if (ssrc !== undefined) spec.ssrc = ssrc;
        break;
      }
      case 'mode':
        if (raw !== undefined && /^[A-Za-z_]{1,32}$/.test(raw)) spec.mode = raw.toUpperCase();
        break;
      case 'ttl':
        if (raw !== undefined && /^\d{1,3}$/.test(raw) && Number(raw) <= 255) spec.ttl = Number(raw);
        break;
      default:
        // Unknown and vendor parameters are ignored (RFC 2326 §12.39 allows extensions).
        break;
    }
  }

  // Escam Q6 answers `RTP/AVP;unicast;interleaved=0-1` without `/TCP` (go2rtc): interleaved means TCP.
  if (explicitLower === undefined && spec.interleaved !== undefined) spec.lowerTransport = 'tcp';
  return spec;
}

/**
 * An SSRC written in hex (RFC 2326 §12.39). Tolerates leading spaces (Hikvision, Dahua: `ssrc=     D93FF`),
 * odd digit counts, a `0x` prefix, and values longer than 8 digits (up to 20, B16) by keeping the low 32 bits.
 */
export function parseSsrc(raw: string): number | undefined {
  let digits = raw.trim();
  if (/^0x/i.test(digits)) digits = digits.slice(2);
  if (!/^[0-9A-Fa-f]+$/.test(digits) || digits.length > MAX_SSRC_HEX_DIGITS) return undefined;
  return Number.parseInt(digits.slice(-8), 16);
}

/** `a-b` or a single `a` (meaning `a-(a+1)`), both within [min, max]; undefined otherwise. */
function parseRange(raw: string, min: number, max: number): [number, number] | undefined {
  const match = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(raw);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const second = match[2] === undefined ? first + 1 : Number(match[2]);
  if (first < min || first > max || second < min || second > max) return undefined;
  return [first, second];
}

function unquote(raw: string): string {
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).trim() : raw;
}

/** Splits on `separator` outside double quotes (an unbalanced quote runs to the end). */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Formats the Transport header we send in SETUP: protocol, delivery, then parameters in RFC order, e.g.
 * `RTP/AVP/TCP;unicast;interleaved=0-1` or `RTP/AVP;unicast;client_port=50000-50001`.
 * The lower transport comes from `lowerTransport`: `/TCP` is added or removed on `protocol` to match, and
 * UDP is written without `/UDP` (the RFC 2326 default, and what every camera understands).
 *
 * @throws RtspError RTSP_INVALID_HEADER when a field cannot be written (programming error).
 */
export function formatTransportHeader(spec: TransportSpec): string {
  const match = PROTOCOL.exec(spec.protocol);
  if (match === null) throw invalidSpec('protocol');
  const profile = match[0].replace(/\/(?:TCP|UDP)$/i, '');
  const parts = [spec.lowerTransport === 'tcp' ? `${profile}/TCP` : profile];
  if (spec.delivery !== undefined) parts.push(spec.delivery);
  for (const name of ['destination', 'source'] as const) {
    const address = spec[name];
    if (address === undefined) continue;
    if (address.length > MAX_ADDRESS_LENGTH || !ADDRESS.test(address)) throw invalidSpec(name);
    parts.push(`${name}=${address}`);
  }
  if (spec.interleaved !== undefined) parts.push(`interleaved=${formatRange(spec.interleaved, 0, 255, 'interleaved')}`);
  if (spec.ttl !== undefined) {
    if (!Number.isInteger(spec.ttl) || spec.ttl < 0 || spec.ttl > 255) throw invalidSpec('ttl');
    parts.push(`ttl=${spec.ttl}`);
  }
  if (spec.port !== undefined) parts.push(`port=${formatRange(spec.port, 1, MAX_PORT, 'port')}`);
  if (spec.clientPort !== undefined)
    parts.push(`client_port=${formatRange(spec.clientPort, 1, MAX_PORT, 'clientPort')}`);
  if (spec.serverPort !== undefined)
    parts.push(`server_port=${formatRange(spec.serverPort, 1, MAX_PORT, 'serverPort')}`);
  if (spec.ssrc !== undefined) {
    if (!Number.isInteger(spec.ssrc) || spec.ssrc < 0 || spec.ssrc > 0xffff_ffff) throw invalidSpec('ssrc');
    parts.push(`ssrc=${spec.ssrc.toString(16).toUpperCase().padStart(8, '0')}`);
  }
  if (spec.mode !== undefined) {
    if (!/^[A-Za-z_]{1,32}$/.test(spec.mode)) throw invalidSpec('mode');
    parts.push(`mode=${spec.mode}`);
  }
  return parts.join(';');
}

function formatRange(range: readonly [number, number], min: number, max: number, field: string): string {
  for (const n of range) if (!Number.isInteger(n) || n < min || n > max) throw invalidSpec(field);
  return `${range[0]}-${range[1]}`;
}

function invalidSpec(field: string): RtspError {
  return new RtspError(RtspErrorCode.INVALID_HEADER, `cannot write a Transport header: invalid ${field}`);
}
