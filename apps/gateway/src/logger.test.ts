import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from './errors.js';
import { createLogger, logFormat } from './logger.js';

/** A stand-in for stdout that keeps what is written. */
function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stdout: { isTTY, write: (text: string) => lines.push(text) } };
}

const ANSI = /\u001b\[[0-9;]*m/g;

describe('logFormat', () => {
  it.each([
    [{}, true, 'pretty'],
    [{}, false, 'json'],
    [{ CAMGATE_LOG_FORMAT: '' }, true, 'pretty'],
    [{ CAMGATE_LOG_FORMAT: 'json' }, true, 'json'],
    [{ CAMGATE_LOG_FORMAT: 'pretty' }, false, 'pretty'],
  ])('env %o, terminal %s: %s', (env, terminal, format) => {
    expect(logFormat(env, terminal)).toBe(format);
  });

  it('refuses any other CAMGATE_LOG_FORMAT with a configuration error', () => {
    expect(() => logFormat({ CAMGATE_LOG_FORMAT: 'text' }, true)).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG }),
    );
  });
});

describe('createLogger', () => {
  it('writes pretty, coloured lines to a terminal: local time, level, [camera] first', () => {
    const { lines, stdout } = capture(true);
    const logger = createLogger('info', undefined, { env: {}, stdout });
    logger.child({ camera: 'front-door' }).info({ transport: 'tcp' }, 'playing');
    logger.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(ANSI);
    expect(lines[0]?.replace(ANSI, '')).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d\d\d\] INFO: \[front-door\] playing \{"transport":"tcp"\}\n$/,
    );
  });

  it('writes one JSON object per line when stdout is not a terminal', () => {
    const { lines, stdout } = capture(false);
    createLogger('info', undefined, { env: {}, stdout }).info({ camera: 'c1' }, 'playing');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 30, camera: 'c1', msg: 'playing' });
  });

  it.each([
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ])('CAMGATE_LOG_FORMAT=%s wins over the terminal test (terminal %s)', (format, isTTY, expected) => {
    const { lines, stdout } = capture(isTTY);
    createLogger('info', undefined, { env: { CAMGATE_LOG_FORMAT: format }, stdout }).info('hello');
    expect(lines[0]?.startsWith('{')).toBe(expected === 'json');
    // Pretty into a pipe or file: no colour codes.
    expect(lines[0]).not.toMatch(ANSI);
  });

  it('leaves out colours when NO_COLOR is set', () => {
    const { lines, stdout } = capture(true);
    createLogger('info', undefined, { env: { NO_COLOR: '1' }, stdout }).info('hello');
    expect(lines[0]).toMatch(/INFO: hello\n$/);
    expect(lines[0]).not.toMatch(ANSI);
  });

  it('an explicit destination gets JSON, even on a terminal', () => {
    const { lines, stdout } = capture(true);
    const logger = createLogger('info', stdout, { env: { CAMGATE_LOG_FORMAT: 'pretty' }, stdout });
    logger.info('hello');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'hello' });
  });

  it.each([['pretty'], ['json']])('redacts credentials in %s lines', (format) => {
    const { lines, stdout } = capture(true);
    const logger = createLogger('info', undefined, { env: { CAMGATE_LOG_FORMAT: format }, stdout });
    logger.info({ req: { headers: { authorization: 'Bearer k3y-s3cret', cookie: 'sid=c00kie-s3cret' } } }, 'request');
    logger.info({ camera: { url: 'rtsp://cam/x', password: 'pw-s3cret' } }, 'camera');
    logger.info({ password: 'top-s3cret' }, 'login');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expect(text).not.toMatch(/s3cret/);
    expect(text.match(/\[redacted\]/g)).toHaveLength(4);
    if (format === 'pretty')
      expect(text.replace(ANSI, '')).toContain('[{"url":"rtsp://cam/x","password":"[redacted]"}] camera');
  });

  it('shows control characters in pretty messages as escapes, not raw', () => {
    const { lines, stdout } = capture(false);
    createLogger('info', undefined, { env: { CAMGATE_LOG_FORMAT: 'pretty' }, stdout }).info('bad \u001b[2J reason');
    expect(lines[0]).toContain('bad \\x1b[2J reason');
  });
});
