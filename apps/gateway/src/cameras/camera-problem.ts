import { isCodedError } from '@camgate/bits';
import { RtspErrorCode } from '@camgate/rtsp';

/** Why a camera is not streaming, in words an operator understands, with the stable code. */
export interface CameraProblem {
  code: string;
  message: string;
  /** Retrying cannot help until someone changes the camera or its settings (wrong password, wrong path). */
  permanent: boolean;
}

const PROBLEMS: Partial<Record<string, { message: string; permanent: boolean }>> = {
  [RtspErrorCode.INVALID_URL]: { message: 'the camera URL is not a valid rtsp:// or rtsps:// URL', permanent: true },
  [RtspErrorCode.AUTH_REQUIRED]: {
    message: 'the camera wants a user name and password, and the URL has none',
    permanent: true,
  },
  [RtspErrorCode.AUTH_FAILED]: { message: 'wrong user name or password', permanent: true },
  [RtspErrorCode.UNSUPPORTED_AUTH]: {
    message: 'the camera asks for an authentication method camgate does not support',
    permanent: true,
  },
  [RtspErrorCode.FORBIDDEN]: { message: 'the camera refuses this user or stream (403)', permanent: true },
  [RtspErrorCode.NOT_FOUND]: {
    message: 'no stream at this path on the camera (404): check the URL path',
    permanent: true,
  },
  [RtspErrorCode.SESSION_LIMIT]: {
    message: 'the camera has no free stream slot (too many clients connected to it)',
    permanent: false,
  },
  [RtspErrorCode.INVALID_MESSAGE]: {
    message:
      'the camera answered with something that is not RTSP (another service on this port, such as HTTP, or a broken message): check the port',
    permanent: true,
  },
  [RtspErrorCode.TIMEOUT]: { message: 'the camera stopped answering or sending video', permanent: false },
  [RtspErrorCode.CONNECTION_FAILED]: {
    message: 'cannot reach the camera (host unreachable, connection refused or unknown host)',
    permanent: false,
  },
  [RtspErrorCode.CONNECTION_CLOSED]: { message: 'the camera closed the connection', permanent: false },
  [RtspErrorCode.TLS_ERROR]: {
    message: 'the TLS connection failed (certificate refused or handshake error)',
    permanent: true,
  },
  [RtspErrorCode.UNSUPPORTED_TRANSPORT]: {
    message: 'the camera accepts neither TCP nor UDP transport from camgate',
    permanent: true,
  },
  [RtspErrorCode.TOO_MANY_REDIRECTS]: { message: 'the camera redirects in a loop', permanent: true },
  [RtspErrorCode.REDIRECT_REFUSED]: {
    message: 'the camera redirects to a URL camgate will not follow (rtsps to rtsp, or not RTSP)',
    permanent: true,
  },
  [RtspErrorCode.INVALID_SDP]: {
    message: 'the camera describes its stream in a way camgate cannot read',
    permanent: true,
  },
  [RtspErrorCode.NO_SUPPORTED_TRACKS]: {
    message: 'the camera sends no video or audio camgate supports (H.264, H.265, AAC, Opus, G.711)',
    permanent: true,
  },
};

/**
 * True when the code's message is ours (a table entry or the address policy's), never text the
 * camera sent: what may be shown to anyone (the embed page's status), not only to operators.
 */
export function isKnownProblem(code: string): boolean {
  return code === RtspErrorCode.ADDRESS_REFUSED || PROBLEMS[code] !== undefined;
}

/** Describes an error from a camera session. Messages never contain the camera URL or its credentials. */
export function cameraProblem(err: unknown): CameraProblem {
  if (isCodedError(err, RtspErrorCode.ADDRESS_REFUSED)) {
    // The policy's own words: which kind of address, and how to allow it.
    return { code: err.code, message: err.message, permanent: true };
  }
  if (isCodedError(err)) {
    const known = PROBLEMS[err.code];
    if (known !== undefined) return { code: err.code, ...known };
    // RTSP error messages never carry the URL or credentials (the client's rule).
    return { code: err.code, message: `the camera session failed: ${err.message}`, permanent: false };
  }
  return { code: 'CAMGATE_ERR_INTERNAL', message: 'the camera session failed unexpectedly', permanent: false };
}
