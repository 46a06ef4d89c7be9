export { parseFmtpParameters } from './fmtp.js';
