export { CamsimError, CamsimErrorCode } from './errors.js';
export { RtpClock, type Rational } from './rtp-clock.js';
