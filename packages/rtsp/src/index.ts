export { RtspError, RtspErrorCode } from './errors.js';
export { parseSessionHeader, type SessionHeader } from './headers/session.js';
