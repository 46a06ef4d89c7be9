import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { fuzzInputs, hasControlOrSpace } from '../headers/test-fuzz.js';
import { baseUrlFor, repairContentBase, resolveControlUrl } from './control-url.js';
import { MAX_URL_LENGTH } from './rtsp-url.js';

/** No user information in the authority of `url`. */
const hasUserinfo = (url: string) => /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);

describe('resolveControlUrl', () => {
  const cases: Array<[name: string, base: string, control: string | undefined, want: string]> = [
    ['no control: the base', 'rtsp://cam/live/', undefined, 'rtsp://cam/live/'],
    ['"*": the base', 'rtsp://cam/live/', '*', 'rtsp://cam/live/'],
    ['empty control: the base', 'rtsp://cam/live/', '  ', 'rtsp://cam/live/'],
    [
      'GStreamer: Content-Base with a slash + stream=0 (captured)',
      'rtsp://127.0.0.1:46601/h264aac/',
      'stream=0',
      'rtsp://127.0.0.1:46601/h264aac/stream=0',
    ],
    [
      'Dahua: appended after the query (scrypted, gortsplib)',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0',
      'trackID=0',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0',
    ],
    [
      'Dahua Content-Base ending in "/" after the query',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/',
      'trackID=1',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=1',
    ],
    ['one "/" is added', 'rtsp://cam/stream1', 'track1', 'rtsp://cam/stream1/track1'],
    ['never two', 'rtsp://cam/stream1/', '/track1', 'rtsp://cam/stream1/track1'],
    ['base without a path', 'rtsp://cam:554', 'trackID=0', 'rtsp://cam:554/trackID=0'],
    ['a "?" control is appended as is (gortsplib)', 'rtsp://cam/live', '?ctype=video', 'rtsp://cam/live?ctype=video'],
    [
      'absolute control on the same host',
      'rtsp://cam:554/x/',
      'rtsp://cam:554/x/trackID=1',
      'rtsp://cam:554/x/trackID=1',
    ],
    [
      'Uniview behind a port-forward: keep the base host and port (mediamtx#5008)',
      'rtsp://203.0.113.7:10554/media/video1',
      'rtsp://10.0.0.1/media/video1/video',
      'rtsp://203.0.113.7:10554/media/video1/video',
    ],
    [
      'Samsung/Hanwha: credentials in a=control are dropped (cameradar#199)',
      'rtsp://10.132.250.29:554/profile2/media.smp',
      'rtsp://admin:SuperSecret@10.132.250.29:554/profile2/media.smp/trackID=v',
      'rtsp://10.132.250.29:554/profile2/media.smp/trackID=v',
    ],
    [
      'credentials with an unencoded "/" are not taken for a path',
      'rtsp://cam/x',
      'rtsp://admin:Super/Secret@10.0.0.1/x/trackID=1',
      'rtsp://cam/x/trackID=1',
    ],
    ['rtsps base keeps its scheme', 'rtsps://cam:322/x', 'rtsp://cam/x/track1', 'rtsps://cam:322/x/track1'],
    [
      'unbracketed IPv6 in an absolute control',
      'rtsp://[::ffff:192.168.1.123]/x',
      'rtsp://::ffff:192.168.1.123/x/track1',
      'rtsp://[::ffff:192.168.1.123]/x/track1',
    ],
    ['absolute control without a path', 'rtsp://cam:8554/live', 'rtsp://10.0.0.1', 'rtsp://cam:8554'],
    ['credentials in the base are dropped', 'rtsp://admin:pw@cam/x', 'track1', 'rtsp://cam/x/track1'],
  ];
  it.each(cases)('%s', (_name, base, control, want) => {
    expect(resolveControlUrl(base, control)).toBe(want);
  });

  it.each([
    ['CR/LF in the control (S04)', 'rtsp://cam/x', 'track1\r\nX-Injected: 1'],
    ['space in the control', 'rtsp://cam/x', 'track 1'],
    ['absolute non-RTSP control', 'rtsp://cam/x', 'http://evil.example/x'],
    ['non-RTSP base', 'http://cam/x', 'track1'],
    ['base with a space', 'rtsp://cam/a b', 'track1'],
    ['result over 2048', 'rtsp://cam/x', 'a'.repeat(MAX_URL_LENGTH)],
  ])('rejects %s with RTSP_INVALID_URL', (_name, base, control) => {
    expect(() => resolveControlUrl(base, control)).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_URL }),
    );
  });

  it(
    'fuzz: returns a sendable rtsp(s) URL without credentials, or throws RTSP_INVALID_URL',
    { timeout: fuzzTimeout() },
    () => {
      const bases = fc.constantFrom(
        'rtsp://cam/live/',
        'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0',
        'rtsps://[::1]:322/x',
        'rtsp://admin:pw@cam/x',
      );
      const controls = fuzzInputs(
        cases.flatMap(([, , control]) => (control === undefined ? [] : [control])),
        300,
      );
      fc.assert(
        fc.property(bases, fc.option(controls, { nil: undefined }), (base, control) => {
          let resolved: string;
          try {
            resolved = resolveControlUrl(base, control);
          } catch (err) {
            expect(isCodedError(err, RtspErrorCode.INVALID_URL)).toBe(true);
            return;
          }
          expect(resolved).toMatch(/^rtsps?:\/\//);
          expect(hasControlOrSpace(resolved)).toBe(false);
          expect(hasUserinfo(resolved)).toBe(false);
          expect(resolved).not.toContain('pw@');
          expect(resolved.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});

describe('repairContentBase', () => {
  const request = 'rtsp://192.168.1.5:554/live?x=1';
  const cases: Array<[name: string, value: string, requestUrl: string, want: string | undefined]> = [
    ['GStreamer (captured): as is', 'rtsp://127.0.0.1:46601/h264aac/', request, 'rtsp://127.0.0.1:46601/h264aac/'],
    ['doubled scheme (go2rtc#208, #830)', 'rtsp://rtsp://cam:554/x/', request, 'rtsp://cam:554/x/'],
    ['tripled scheme', 'rtsp://rtsps://rtsp://cam/x/', request, 'rtsp://cam/x/'],
    ['schemeless host:port (go2rtc#1852)', '192.168.253.220:1935/', request, 'rtsp://192.168.253.220:1935/'],
    ['schemeless IPv4 without port', '192.168.1.5/live/', request, 'rtsp://192.168.1.5/live/'],
    [
      'schemeless takes the request scheme',
      'cam.example:322/x/',
      'rtsps://cam.example/x',
      'rtsps://cam.example:322/x/',
    ],
    [
      'bare path joined to the request origin (gortsplib)',
      '/path/',
      'rtsp://cam:8554/live?x=1',
      'rtsp://cam:8554/path/',
    ],
    ['unbracketed IPv6 (go2rtc)', 'rtsp://::ffff:192.168.1.123/live/', request, 'rtsp://[::ffff:c0a8:17b]/live/'],
    [
      'unbracketed IPv6 with a port',
      'rtsp://2001:db8::7:8554/live/',
      request,
      // Ambiguous: read as one address (2001:db8::7:8554), never as a guess at a port.
      'rtsp://[2001:db8::7:8554]/live/',
    ],
    ['bracketed IPv6', 'rtsp://[::1]:8554/x/', request, 'rtsp://[::1]:8554/x/'],
    [
      'credentials dropped (cameradar#199)',
      'rtsp://admin:SuperSecret@10.132.250.29:554/profile2/media.smp',
      request,
      'rtsp://10.132.250.29:554/profile2/media.smp',
    ],
    ['surrounding spaces', '  rtsp://cam/x/  ', request, 'rtsp://cam/x/'],
    ['empty', '', request, undefined],
    ['not a URL', 'not a url', request, undefined],
    ['relative path without a host', 'foo/', request, undefined],
    ['other scheme', 'http://cam/x/', request, undefined],
    ['no host', 'rtsp:///x/', request, undefined],
    ['space inside', 'rtsp://cam/a b/', request, undefined],
    ['fragment', 'rtsp://cam/x/#y', request, undefined],
    ['oversized', `rtsp://cam/${'a'.repeat(MAX_URL_LENGTH)}`, request, undefined],
    ['bare path with an unusable request URL', '/path/', 'garbage', undefined],
  ];
  it.each(cases)('%s', (_name, value, requestUrl, want) => {
    expect(repairContentBase(value, requestUrl)).toBe(want);
  });

  it('fuzz: returns undefined or a parseable rtsp(s) URL without credentials', { timeout: fuzzTimeout() }, () => {
    const seeds = cases.map(([, value]) => value).filter((value) => value.length < 300);
    fc.assert(
      fc.property(fuzzInputs(seeds, 300), fc.constantFrom(request, 'rtsps://[::1]/x', 'garbage'), (value, req) => {
        const repaired = repairContentBase(value, req);
        if (repaired === undefined) return;
        const url = new URL(repaired);
        expect(['rtsp:', 'rtsps:']).toContain(url.protocol);
        expect(url.username + url.password).toBe('');
        expect(url.hostname).not.toBe('');
        expect(hasControlOrSpace(repaired)).toBe(false);
        expect(repaired.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('baseUrlFor', () => {
  const request = 'rtsp://cam:554/live';
  const cases: Array<[name: string, response: Parameters<typeof baseUrlFor>[0], want: string]> = [
    [
      'absolute session control first',
      { sessionControl: 'rtsp://cam:554/session/', contentBase: 'rtsp://cam:554/base/' },
      'rtsp://cam:554/session/',
    ],
    ['session control "*" is skipped', { sessionControl: '*', contentBase: 'rtsp://cam/base/' }, 'rtsp://cam/base/'],
    [
      'relative session control is skipped',
      { sessionControl: 'foo', contentBase: 'rtsp://cam/base/' },
      'rtsp://cam/base/',
    ],
    [
      'Content-Base before Content-Location',
      { contentBase: 'rtsp://cam/base/', contentLocation: 'rtsp://cam/location/' },
      'rtsp://cam/base/',
    ],
    ['repaired Content-Base', { contentBase: 'rtsp://rtsp://cam:554/x/' }, 'rtsp://cam:554/x/'],
    ['bare-path Content-Base', { contentBase: '/x/' }, 'rtsp://cam:554/x/'],
    [
      'unusable Content-Base falls back to Content-Location',
      { contentBase: 'garbage', contentLocation: 'rtsp://cam/location/' },
      'rtsp://cam/location/',
    ],
    ['nothing: the request URL', {}, request],
    ['unusable everything: the request URL', { sessionControl: 'rtsp://', contentBase: 'garbage' }, request],
  ];
  it.each(cases)('%s', (_name, response, want) => {
    expect(baseUrlFor(response, request)).toBe(want);
  });

  it('never returns credentials, not even from the request URL', () => {
    expect(baseUrlFor({}, 'rtsp://admin:pw@cam/live')).toBe('rtsp://cam/live');
  });

  it('Dahua end to end: Content-Base after a query, then trackID', () => {
    const base = baseUrlFor(
      { contentBase: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/' },
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0',
    );
    expect(resolveControlUrl(base, 'trackID=0')).toBe(
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0',
    );
  });
});
