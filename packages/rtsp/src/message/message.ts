import { RtspError, RtspErrorCode } from '../errors.js';
import { type RtspHeaders } from './headers.js';

export interface RtspRequest {
  method: string;
  uri: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

export interface RtspResponse {
  statusCode: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Values we write must not smuggle a line break into the message (header injection). */
function checkLine(text: string, what: string): void {
  if (/[\r\n\0]/.test(text)) throw new RtspError(RtspErrorCode.INVALID_HEADER, `${what} contains a line break or NUL`);
}

function serialize(startLine: string, headers: RtspHeaders, body: Uint8Array): Buffer {
  checkLine(startLine, 'start line');
  let head = `${startLine}\r\n`;
  for (const [name, value] of headers) {
    checkLine(name, 'header name');
    checkLine(value, `header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  if (body.length > 0 && !headers.has('Content-Length')) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  return body.length === 0 ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** `METHOD uri RTSP/1.0` + headers (in the order given, names as given) + body. */
export function serializeRequest(request: {
  method: string;
  uri: string;
  headers: RtspHeaders;
  body?: Uint8Array;
}): Buffer {
  return serialize(`${request.method} ${request.uri} RTSP/1.0`, request.headers, request.body ?? EMPTY);
}

export function serializeResponse(response: {
  statusCode: number;
  reason: string;
  headers: RtspHeaders;
  body?: Uint8Array;
}): Buffer {
  return serialize(`RTSP/1.0 ${response.statusCode} ${response.reason}`, response.headers, response.body ?? EMPTY);
}

/** Standard reason phrases (RFC 2326 §7.1.1) for the statuses we send. */
export const REASON_PHRASES: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  551: 'Option not supported',
};
