import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { fuzzInputs, hasControlOrSpace } from '../headers/test-fuzz.js';
import { MAX_URL_LENGTH, parseRtspUrl, redactUrl, type RtspUrl } from './rtsp-url.js';

const invalidUrl = expect.objectContaining({ code: RtspErrorCode.INVALID_URL });

type Want = Omit<RtspUrl, 'url'> & { href: string };
const cases: Array<[name: string, input: string, want: Want]> = [
  [
    'no credentials, default port',
    'rtsp://cam.local/stream1',
    { href: 'rtsp://cam.local/stream1', secure: false, host: 'cam.local', port: 554 },
  ],
  ['rtsps default port 322', 'rtsps://cam/x', { href: 'rtsps://cam/x', secure: true, host: 'cam', port: 322 }],
  ['explicit port', 'rtsps://cam:8322/x', { href: 'rtsps://cam:8322/x', secure: true, host: 'cam', port: 8322 }],
  ['scheme in any case', 'RTSP://Cam:554/Path', { href: 'rtsp://Cam:554/Path', secure: false, host: 'Cam', port: 554 }],
  ['IPv6 host', 'rtsp://[::1]:8554/x', { href: 'rtsp://[::1]:8554/x', secure: false, host: '::1', port: 8554 }],
  [
    'IPv6 host, default port',
    'rtsp://[fe80::1]/x',
    { href: 'rtsp://[fe80::1]/x', secure: false, host: 'fe80::1', port: 554 },
  ],
  [
    'Dahua URL with a query, credentials removed',
    'rtsp://admin:pw@192.168.1.108:554/cam/realmonitor?channel=1&subtype=0',
    {
      href: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0',
      secure: false,
      host: '192.168.1.108',
      port: 554,
      credentials: { username: 'admin', password: 'pw' },
    },
  ],
  [
    'percent-decoded password: %40 %3A %23 %25',
    'rtsp://admin:se%40c%3Ar%23et%25@cam/x',
    {
      href: 'rtsp://cam/x',
      secure: false,
      host: 'cam',
      port: 554,
      credentials: { username: 'admin', password: 'se@c:r#et%' },
    },
  ],
  [
    'unencoded ":" in the password',
    'rtsp://admin:pa:ss@cam/x',
    {
      href: 'rtsp://cam/x',
      secure: false,
      host: 'cam',
      port: 554,
      credentials: { username: 'admin', password: 'pa:ss' },
    },
  ],
  [
    'unencoded "@" in the password (last @ ends the user information)',
    'rtsp://admin:p@ss@cam/x',
    {
      href: 'rtsp://cam/x',
      secure: false,
      host: 'cam',
      port: 554,
      credentials: { username: 'admin', password: 'p@ss' },
    },
  ],
  [
    'encoded user name, UTF-8 password',
    'rtsp://ops%40site:p%C3%A4ss@cam/x',
    {
      href: 'rtsp://cam/x',
      secure: false,
      host: 'cam',
      port: 554,
      credentials: { username: 'ops@site', password: 'päss' },
    },
  ],
  [
    'user name only',
    'rtsp://admin@cam/x',
    { href: 'rtsp://cam/x', secure: false, host: 'cam', port: 554, credentials: { username: 'admin', password: '' } },
  ],
  [
    'password only',
    'rtsp://:pw@cam/x',
    { href: 'rtsp://cam/x', secure: false, host: 'cam', port: 554, credentials: { username: '', password: 'pw' } },
  ],
];

describe('parseRtspUrl', () => {
  it.each(cases)('%s', (_name, input, want) => {
    const { url, ...rest } = parseRtspUrl(input);
    expect({ href: url.href, ...rest }).toEqual(want);
    expect(url.username).toBe('');
    expect(url.password).toBe('');
  });

  it.each([
    ['http', 'http://cam/x'],
    ['go2rtc-style scheme', 'rtspx://cam/x'],
    ['file (S03)', 'file:///etc/passwd'],
    ['exec (S03)', 'exec:ls'],
    ['empty', ''],
    ['CR/LF in the path (S04)', 'rtsp://cam/x\r\nX-Injected: 1'],
    ['space in the path (S04)', 'rtsp://cam/a b'],
    ['NUL (S04)', 'rtsp://cam/\x00'],
    ['leading space', ' rtsp://cam/'],
    ['tab', 'rtsp://cam/\tx'],
    ['DEL', 'rtsp://cam/\x7f'],
    ['encoded CRLF in the password (S04)', 'rtsp://admin:pw%0d%0aX@cam/'],
    ['encoded NUL in the user name (S04)', 'rtsp://ad%00min:pw@cam/'],
    ['malformed percent-encoding', 'rtsp://admin:%zz@cam/'],
    ['longer than 2048', `rtsp://cam/${'a'.repeat(MAX_URL_LENGTH)}`],
    ['longer than 2048 once encoded', `rtsp://cam/${'é'.repeat(MAX_URL_LENGTH / 4)}`],
    ['port 0', 'rtsp://cam:0/'],
    ['port out of range', 'rtsp://cam:99999/'],
    ['no host', 'rtsp:///path'],
    ['percent-encoded host', 'rtsp://exa%41mple/'],
    ['IPv6 zone id', 'rtsp://[fe80::1%25eth0]/x'],
    ['unbracketed IPv6', 'rtsp://::ffff:1.2.3.4/x'],
    ['unencoded "/" in the password reads as host:port (ambiguous)', 'rtsp://admin:12/34@cam/'],
    ['unencoded "?" in the password (ambiguous)', 'rtsp://admin:12?34@cam/'],
    ['unencoded "#" in the password', 'rtsp://admin:pa#ss@cam/'],
    ['fragment', 'rtsp://cam/x#frag'],
  ])('rejects %s with RTSP_INVALID_URL', (_name, input) => {
    expect(() => parseRtspUrl(input)).toThrow(invalidUrl);
  });

  it('never puts the URL or the password in its error message (S05)', () => {
    for (const input of [
      'rtsp://admin:canary-P4ss@cam:0/',
      'rtsp://admin:canary-P4ss%zz@cam/',
      'rtsp://admin:canary-P4ss%0a@cam/',
      'rtsp://admin:12/canary-P4ss@cam/',
      'rtsp://admin:canary#P4ss@cam/',
      'http://admin:canary-P4ss@cam/',
    ]) {
      let message = '';
      try {
        parseRtspUrl(input);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/canary|P4ss/);
    }
  });

  it(
    'round-trips any percent-encoded user name and password (hashing needs the exact bytes)',
    { timeout: fuzzTimeout() },
    () => {
      const text = fc.string({ unit: 'grapheme', maxLength: 24 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s));
      fc.assert(
        fc.property(text, text, (username, password) => {
          fc.pre(username !== '' || password !== '');
          const input = `rtsp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@cam:8554/live`;
          const parsed = parseRtspUrl(input);
          expect(parsed.credentials).toEqual({ username, password });
          expect(parsed.url.href).toBe('rtsp://cam:8554/live');
        }),
        { numRuns: fuzzRuns(1000) },
      );
    },
  );

  it('fuzz: returns a clean, credential-free URL or throws RTSP_INVALID_URL', { timeout: fuzzTimeout() }, () => {
    const seeds = [...cases.map(([, input]) => input), 'rtsp://admin:12/34@cam/', 'rtsp://[::ffff:10.0.0.1]/x'];
    fc.assert(
      fc.property(fuzzInputs(seeds, 300), (input) => {
        let parsed: RtspUrl;
        try {
          parsed = parseRtspUrl(input);
        } catch (err) {
          expect(isCodedError(err, RtspErrorCode.INVALID_URL)).toBe(true);
          return;
        }
        const { href, username, password, protocol } = parsed.url;
        expect(['rtsp:', 'rtsps:']).toContain(protocol);
        expect(username + password).toBe('');
        expect(hasControlOrSpace(href)).toBe(false);
        expect(href.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
        expect(parsed.port >= 1 && parsed.port <= 65535).toBe(true);
        expect(parsed.host).not.toBe('');
        const { credentials } = parsed;
        if (credentials !== undefined) {
          expect(/[\x00-\x1f\x7f]/.test(credentials.username + credentials.password)).toBe(false);
          if (credentials.password !== '') expect(href).not.toContain(`:${encodeURIComponent(credentials.password)}@`);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('redactUrl', () => {
  it.each([
    ['password replaced, user kept', 'rtsp://admin:secret@cam/x', 'rtsp://admin:***@cam/x'],
    ['encoded password', 'rtsp://admin:se%40cret@cam:554/x?a=1', 'rtsp://admin:***@cam:554/x?a=1'],
    ['no password: unchanged', 'rtsp://admin@cam/x', 'rtsp://admin@cam/x'],
    ['no credentials: unchanged', 'rtsp://cam:554/x?channel=1', 'rtsp://cam:554/x?channel=1'],
    ['invalid: unencoded "#"', 'rtsp://admin:pa#ss@cam/', 'rtsp://admin:***@cam/'],
    ['invalid: unencoded "/"', 'rtsp://admin:12/34@cam/', 'rtsp://admin:***@cam/'],
    ['unencoded "@"', 'rtsp://admin:p@ss@cam/', 'rtsp://admin:***@cam/'],
    ['space in the password', 'rtsp://admin:pa ss@cam/', 'rtsp://admin:***@cam/'],
    ['no scheme', 'admin:pw@cam', 'admin:***@cam'],
    ['not a URL', 'not a url', 'not a url'],
    ['empty', '', ''],
  ])('%s', (_name, input, want) => {
    expect(redactUrl(input)).toBe(want);
  });

  it('redacts URL objects', () => {
    expect(redactUrl(new URL('rtsp://admin:se%40cret@cam/x'))).toBe('rtsp://admin:***@cam/x');
    expect(redactUrl(new URL('rtsp://cam/x'))).toBe('rtsp://cam/x');
  });

  it('fuzz: never throws and never returns the password, however it is written', { timeout: fuzzTimeout() }, () => {
    const user = fc.string({ maxLength: 12 }).filter((s) => !s.includes(':') && !s.includes('@'));
    const rawPassword = fc.string({ unit: 'binary', minLength: 1, maxLength: 16 });
    const password = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 });
    const rest = fc.constantFrom('cam:554/x', 'cam/x?channel=1&subtype=0', '[::1]/x', 'cam');
    fc.assert(
      fc.property(user, rawPassword, password, rest, (u, raw, p, tail) => {
        expect(redactUrl(`rtsp://${u}:${raw}@${tail}`)).toBe(`rtsp://${u}:***@${tail}`);
        const encoded = `rtsp://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${tail}`;
        expect(redactUrl(encoded)).toBe(`rtsp://${encodeURIComponent(u)}:***@${tail}`);
        expect(redactUrl(new URL(encoded))).toBe(`rtsp://${encodeURIComponent(u)}:***@${tail}`);
      }),
      { numRuns: fuzzRuns() },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        expect(typeof redactUrl(input)).toBe('string');
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
