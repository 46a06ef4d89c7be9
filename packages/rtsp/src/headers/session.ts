import { RtspError, RtspErrorCode } from '../errors.js';

/** 256 bytes: far above real session ids (8-40 chars); bounds what we echo back on every request. */
const MAX_SESSION_ID_LENGTH = 256;
/** 1 day: a larger timeout is treated as absent, so the client falls back to its default keepalive. */
const MAX_TIMEOUT_SECONDS = 86_400;

export interface SessionHeader {
  id: string;
  /** Seconds from `;timeout=N` (RFC 2326 §12.37), when given and sane. */
  timeoutSeconds?: number;
}

/**
 * Parses a `Session` response header: `id[;timeout=N]`.
 * Tolerates what cameras send: spaces around `;` and `=` (`1234 ; timeout = 60`),
 * parameters in any case and order, and `timeout` after other parameters (go2rtc#382).
 */
export function parseSessionHeader(value: string): SessionHeader {
  const [rawId = '', ...params] = value.split(';');
  const id = rawId.trim();
  if (id === '' || id.length > MAX_SESSION_ID_LENGTH || /[\s\x00-\x1f\x7f]/.test(id)) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent an unusable Session header');
  }
  const header: SessionHeader = { id };
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'timeout') continue;
    const raw = param.slice(eq + 1).trim();
    if (!/^\d{1,9}$/.test(raw)) continue;
    const seconds = Number(raw);
    if (seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS) header.timeoutSeconds = seconds;
    break;
  }
  return header;
}
