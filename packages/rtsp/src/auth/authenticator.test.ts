import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { fuzzInputs, hasControlOrSpace } from '../headers/test-fuzz.js';
import { type AuthChallenge, parseWwwAuthenticate } from '../headers/www-authenticate.js';
import { Authenticator, type Credentials } from './authenticator.js';

const challenges = (...values: string[]): AuthChallenge[] => parseWwwAuthenticate(values);
const fixedCnonce = (...values: string[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as string;
};

/** Parses `Digest a="b", c=d` into a map (test oracle, independent of our writer). */
function digestParams(header: string): Map<string, string> {
  expect(header.startsWith('Digest ')).toBe(true);
  const params = new Map<string, string>();
  for (const match of header.slice(7).matchAll(/([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params.set(match[1]!, (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  return params;
}

const RFC7616_CHALLENGE = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
const RFC7616_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

describe('Authenticator: Digest golden vectors', () => {
  it('RFC 7616 §3.9.1, SHA-256 (byte-exact header)', () => {
    const auth = new Authenticator(
      { username: 'Mufasa', password: 'Circle of Life' },
      { cnonce: () => RFC7616_CNONCE },
    );
    expect(auth.onUnauthorized(challenges(RFC7616_CHALLENGE('SHA-256')))).toBe(true);
    expect(auth.authorization('GET', '/dir/index.html')).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
        'uri="/dir/index.html", response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ' +
        'algorithm=SHA-256, opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, ' +
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"',
    );
  });

  it('RFC 7616 §3.9.1, MD5', () => {
    const auth = new Authenticator(
      { username: 'Mufasa', password: 'Circle of Life' },
      { cnonce: () => RFC7616_CNONCE },
    );
    auth.onUnauthorized(challenges(RFC7616_CHALLENGE('MD5')));
    const params = digestParams(auth.authorization('GET', '/dir/index.html')!);
    expect(params.get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(params.get('algorithm')).toBe('MD5');
  });

  it('RFC 2617 §3.5, MD5 with qop=auth', () => {
    const auth = new Authenticator({ username: 'Mufasa', password: 'Circle Of Life' }, { cnonce: () => '0a4f113b' });
    auth.onUnauthorized(
      challenges(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      ),
    );
    expect(auth.authorization('GET', '/dir/index.html')).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001, cnonce="0a4f113b"',
    );
  });

  // Vectors below: the ffmpeg ones were produced by ffprobe 6/7 against a scripted 401 (see
  // authenticator.interop.test.ts, which checks the same thing live); the others by Python's hashlib.
  const vectors: Array<
    [
      name: string,
      challenge: string,
      credentials: Credentials,
      method: string,
      uri: string,
      cnonce: string,
      response: string,
    ]
  > = [
    [
      'MD5, no qop (RFC 2069; Hikvision), ffmpeg',
      'Digest realm="IP Camera(23306)", nonce="a946c352dd3ad04cf9830d5e72ffb11e", stale="FALSE"',
      { username: 'admin', password: 'se@cret' },
      'OPTIONS',
      'rtsp://127.0.0.1:46165/live?ch=1',
      'unused',
      '926e9dc6f08e9a3ccb936d5d6147834c',
    ],
    [
      'MD5-sess with qop=auth, ffmpeg',
      'Digest realm="x", nonce="n", qop="auth", algorithm=MD5-sess, opaque="o"',
      { username: 'admin', password: 'se@cret' },
      'OPTIONS',
      'rtsp://127.0.0.1:33355/live?ch=1',
      '15f2b23113101740',
      'a18d04bc64dc786ec55280624a62874b',
    ],
    [
      'SHA-256, no qop (Hikvision OEM, go2rtc#2344), hashlib',
      'Digest realm="IP Camera(GH455)", nonce="4e5a4f5a5a0c", algorithm="SHA-256", stale="FALSE"',
      { username: 'admin', password: 'se@cret:#%' },
      'DESCRIBE',
      'rtsp://192.168.1.64:554/Streaming/Channels/101',
      'unused',
      'b0e5c6f9b8ea5825bc91ca395353ae19b434b51718fe37d31abdb63bc1a45dc2',
    ],
    [
      'SHA-256-sess with qop=auth, hashlib',
      'Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256-sess',
      { username: 'admin', password: 'se@cret:#%' },
      'DESCRIBE',
      'rtsp://192.168.1.64:554/Streaming/Channels/101',
      '0a4f113b',
      'ed0511d603b277e5199311c46b92558ed30daa5c2125be9d3cd6317002b6f224',
    ],
    [
      'quotes in the realm are hashed unescaped, hashlib',
      'Digest realm="say \\"hi\\"", nonce="n"',
      { username: 'admin', password: 'se@cret:#%' },
      'DESCRIBE',
      'rtsp://192.168.1.64:554/Streaming/Channels/101',
      'unused',
      'c44c3565cd10e5ac0e969e1ca2586251',
    ],
  ];
  it.each(vectors)('%s', (_name, challenge, credentials, method, uri, cnonce, response) => {
    const auth = new Authenticator(credentials, { cnonce: () => cnonce });
    expect(auth.onUnauthorized(challenges(challenge))).toBe(true);
    const header = auth.authorization(method, uri)!;
    const params = digestParams(header);
    expect(params.get('response')).toBe(response);
    expect(params.get('uri')).toBe(uri);
  });

  it('RFC 2069 style sends neither qop, nc nor cnonce; algorithm only when the camera named one', () => {
    const auth = new Authenticator({ username: 'admin', password: 'pw' });
    auth.onUnauthorized(challenges('Digest realm="IP Camera(23306)", nonce="abc", stale="FALSE"'));
    expect([...digestParams(auth.authorization('DESCRIBE', 'rtsp://cam/x')!).keys()]).toEqual([
      'username',
      'realm',
      'nonce',
      'uri',
      'response',
    ]);
  });

  it('echoes opaque (even empty) and the algorithm as a bare token (scrypted#2123)', () => {
    const auth = new Authenticator({ username: 'admin', password: 'pw' });
    auth.onUnauthorized(challenges('Digest realm="r", qop="auth", nonce="n", opaque="", algorithm="MD5"'));
    const header = auth.authorization('DESCRIBE', 'rtsp://cam/x')!;
    expect(header).toContain(', algorithm=MD5, opaque="", qop=auth, nc=00000001, cnonce="');
  });

  it('escapes quotes and backslashes in echoed values', () => {
    const auth = new Authenticator({ username: 'ad"min\\', password: 'pw' });
    auth.onUnauthorized(challenges('Digest realm="say \\"hi\\"", nonce="n"'));
    const header = auth.authorization('DESCRIBE', 'rtsp://cam/x')!;
    expect(header).toContain('username="ad\\"min\\\\", realm="say \\"hi\\""');
    expect(digestParams(header).get('username')).toBe('ad"min\\');
  });
});

describe('Authenticator: nonce count and cnonce', () => {
  const uri = 'rtsp://192.168.1.64:554/Streaming/Channels/101';
  const dahua = 'Digest realm="x", nonce="n", qop="auth"';

  it('counts requests per nonce in 8 hex digits, with one cnonce (hashlib vectors)', () => {
    const auth = new Authenticator({ username: 'admin', password: 'se@cret:#%' }, { cnonce: () => '0a4f113b' });
    auth.onUnauthorized(challenges(dahua));
    const sent = [1, 2, 3].map(() => digestParams(auth.authorization('DESCRIBE', uri)!));
    expect(sent.map((params) => params.get('nc'))).toEqual(['00000001', '00000002', '00000003']);
    expect(sent.map((params) => params.get('cnonce'))).toEqual(['0a4f113b', '0a4f113b', '0a4f113b']);
    expect(sent.map((params) => params.get('response'))).toEqual([
      'eb5d16c5c04ada48bcdcbad902db5b7a',
      'a7b46092171708adb21085dcb9bf3a6b',
      '18fdf2d85a26ce8ffefa86b29aab9d35',
    ]);
  });

  it('restarts nc at 1 with a new cnonce when the nonce changes (stale)', () => {
    const auth = new Authenticator({ username: 'admin', password: 'pw' }, { cnonce: fixedCnonce('c1', 'c2') });
    auth.onUnauthorized(challenges(dahua));
    auth.authorization('DESCRIBE', uri);
    auth.authorization('SETUP', uri);
    expect(auth.onUnauthorized(challenges('Digest realm="x", nonce="n2", qop="auth", stale=TRUE'))).toBe(true);
    const params = digestParams(auth.authorization('SETUP', uri)!);
    expect([params.get('nonce'), params.get('nc'), params.get('cnonce')]).toEqual(['n2', '00000001', 'c2']);
  });

  it('draws the cnonce from a cryptographic source by default: 128 bits, fresh per authenticator', () => {
    const cnonces = Array.from({ length: 20 }, () => {
      const auth = new Authenticator({ username: 'a', password: 'b' });
      auth.onUnauthorized(challenges(dahua));
      return digestParams(auth.authorization('DESCRIBE', uri)!).get('cnonce');
    });
    for (const cnonce of cnonces) expect(cnonce).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(cnonces).size).toBe(cnonces.length);
  });
});

describe('Authenticator: Basic', () => {
  it('sends base64(user:pass) after a Basic challenge (same bytes as ffprobe against GStreamer)', () => {
    const auth = new Authenticator({ username: 'camgate', password: 'camgate-secret' });
    expect(auth.authorization('DESCRIBE', 'rtsp://127.0.0.1/h264auth')).toBeUndefined();
    expect(auth.onUnauthorized(challenges('Basic realm="GStreamer RTSP Server"'))).toBe(true);
    expect(auth.authorization('DESCRIBE', 'rtsp://127.0.0.1/h264auth')).toBe('Basic Y2FtZ2F0ZTpjYW1nYXRlLXNlY3JldA==');
    expect(auth.scheme).toBe('Basic');
  });

  it('encodes UTF-8 credentials', () => {
    const auth = new Authenticator({ username: 'bö', password: 'p@ss:wörd' });
    auth.onUnauthorized(challenges('Basic realm="r"'));
    const encoded = auth.authorization('DESCRIBE', 'rtsp://cam/')!.slice('Basic '.length);
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('bö:p@ss:wörd');
  });
});

describe('Authenticator: scheme choice and fallback', () => {
  const credentials = { username: 'admin', password: 'canary-P4ss' };
  const uri = 'rtsp://cam/stream1';
  const schemeOf = (auth: Authenticator) => auth.scheme;

  it('never sends credentials before a challenge', () => {
    expect(new Authenticator(credentials).authorization('DESCRIBE', uri)).toBeUndefined();
  });

  it('prefers Digest SHA-256 > Digest MD5 > Basic, whatever the order offered, and ignores unknown ones', () => {
    const auth = new Authenticator(credentials);
    auth.onUnauthorized(
      challenges(
        'Basic realm="r"',
        'Digest realm="r", nonce="n", algorithm=SHA-512-256',
        'Digest realm="r", nonce="n"',
        'Negotiate abc==',
        'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"',
      ),
    );
    expect(schemeOf(auth)).toBe('Digest SHA-256');
  });

  it('Hikvision three-challenge header: SHA-256, then MD5, then fails', () => {
    // SharpOnvifClient's capture, nonce shortened.
    const values =
      'Digest realm="IP Camera", qop="auth, auth-int", nonce="00a1", opaque="00000000", userhash=TRUE, stale="FALSE", ' +
      'Digest realm="IP Camera", qop="auth, auth-int", algorithm=SHA-256, nonce="00a1", opaque="00000000", userhash=TRUE, stale="FALSE", ' +
      'Digest realm="IP Camera", qop="auth, auth-int", algorithm=SHA-512-256, nonce="00a1", opaque="00000000", userhash=TRUE, stale="FALSE"';
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized(challenges(values))).toBe(true);
    expect(schemeOf(auth)).toBe('Digest SHA-256');
    expect(auth.onUnauthorized(challenges(values))).toBe(true);
    expect(schemeOf(auth)).toBe('Digest MD5');
    expect(auth.onUnauthorized(challenges(values))).toBe(false);
    expect(auth.failure().code).toBe(RtspErrorCode.AUTH_FAILED);
  });

  it('TP-Link Basic + Digest where only Basic works: Digest, then Basic, then success (mediamtx#3116)', () => {
    const tpLink = challenges('Basic realm="TP-LINK IP-Camera"', 'Digest realm="TP-LINK IP-Camera", nonce="f7a2"');
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized(tpLink)).toBe(true);
    expect(auth.authorization('DESCRIBE', uri)).toMatch(/^Digest /);
    expect(auth.onUnauthorized(tpLink)).toBe(true);
    expect(auth.authorization('DESCRIBE', uri)).toMatch(/^Basic /);
    auth.onSuccess();
    expect(auth.authorization('SETUP', `${uri}/trackID=1`)).toMatch(/^Basic /);
  });

  it('a rejected scheme is not tried again even when the camera offers it again', () => {
    const auth = new Authenticator(credentials);
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n1"', 'Basic realm="r"'));
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n2"', 'Basic realm="r"'));
    expect(schemeOf(auth)).toBe('Basic');
    expect(auth.onUnauthorized(challenges('Digest realm="r", nonce="n3"', 'Basic realm="r"'))).toBe(false);
  });

  it('qop="auth-int" only cannot be answered: unsupported', () => {
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized(challenges('Digest realm="r", nonce="n", qop="auth-int"'))).toBe(false);
    expect(auth.failure().code).toBe(RtspErrorCode.UNSUPPORTED_AUTH);
  });

  it.each([
    ['unknown schemes only', ['Negotiate abc==', 'Bearer realm="x"']],
    ['unknown Digest algorithm only', ['Digest realm="r", nonce="n", algorithm=SHA-512-256']],
  ])('%s: RTSP_UNSUPPORTED_AUTH', (_name, values) => {
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized(challenges(...values))).toBe(false);
    const error = auth.failure();
    expect(error.code).toBe(RtspErrorCode.UNSUPPORTED_AUTH);
    expect(auth.authorization('DESCRIBE', uri)).toBeUndefined();
  });

  it('no credentials: RTSP_AUTH_REQUIRED, and nothing is sent', () => {
    const auth = new Authenticator(undefined);
    expect(auth.onUnauthorized(challenges('Basic realm="r"'))).toBe(false);
    expect(auth.failure().code).toBe(RtspErrorCode.AUTH_REQUIRED);
    expect(auth.authorization('DESCRIBE', uri)).toBeUndefined();
  });

  it('a 401 with no challenge at all and nothing tried: RTSP_UNSUPPORTED_AUTH', () => {
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized([])).toBe(false);
    expect(auth.failure().code).toBe(RtspErrorCode.UNSUPPORTED_AUTH);
  });
});

describe('Authenticator: stale nonces and mid-session 401s', () => {
  const credentials = { username: 'admin', password: 'pw' };
  const uri = 'rtsp://cam/stream1';
  const digest = (nonce: string, stale?: string) =>
    challenges(`Digest realm="r", nonce="${nonce}", qop="auth"${stale === undefined ? '' : `, stale=${stale}`}`);

  it('stale=TRUE with a new nonce re-authenticates with the same scheme once (RFC 7616 §3.3)', () => {
    const auth = new Authenticator(credentials);
    expect(auth.onUnauthorized(digest('n1'))).toBe(true);
    expect(auth.onUnauthorized(digest('n2', 'TRUE'))).toBe(true);
    expect(digestParams(auth.authorization('DESCRIBE', uri)!).get('nonce')).toBe('n2');
    expect(auth.onUnauthorized(digest('n3', 'TRUE'))).toBe(false);
    expect(auth.failure().code).toBe(RtspErrorCode.AUTH_FAILED);
  });

  it('stale without a new nonce, or a new nonce without stale before any success, is a rejection', () => {
    const sameNonce = new Authenticator(credentials);
    sameNonce.onUnauthorized(digest('n1'));
    expect(sameNonce.onUnauthorized(digest('n1', 'true'))).toBe(false);

    const notStale = new Authenticator(credentials);
    notStale.onUnauthorized(digest('n1'));
    expect(notStale.onUnauthorized(digest('n2', 'FALSE'))).toBe(false);
  });

  it('after a success, a 401 with any fresh nonce re-authenticates once per round', () => {
    const auth = new Authenticator(credentials, { cnonce: fixedCnonce('c1', 'c2', 'c3') });
    auth.onUnauthorized(digest('n1'));
    auth.authorization('DESCRIBE', uri);
    auth.onSuccess();
    expect(auth.onUnauthorized(digest('n2'))).toBe(true);
    expect(digestParams(auth.authorization('GET_PARAMETER', uri)!).get('nc')).toBe('00000001');
    auth.onSuccess();
    expect(auth.onUnauthorized(digest('n3', 'TRUE'))).toBe(true);
    expect(auth.onUnauthorized(digest('n4', 'TRUE'))).toBe(false);
  });

  it('after a success, Basic retries once on a mid-session 401', () => {
    const auth = new Authenticator(credentials);
    auth.onUnauthorized(challenges('Basic realm="r"'));
    auth.onSuccess();
    expect(auth.onUnauthorized(challenges('Basic realm="r"'))).toBe(true);
    expect(auth.onUnauthorized(challenges('Basic realm="r"'))).toBe(false);
  });

  it('a camera looping on 401 gets at most (usable challenges + 1) retries (B15)', () => {
    const auth = new Authenticator(credentials);
    let retries = 0;
    for (let i = 0; i < 50; i++) {
      const offered = challenges(
        `Digest realm="r", nonce="n${i}", algorithm=SHA-256, stale=TRUE`,
        `Digest realm="r", nonce="n${i}", stale=TRUE`,
        'Basic realm="r"',
        'Negotiate abc==',
      );
      if (!auth.onUnauthorized(offered)) break;
      retries++;
    }
    expect(retries).toBe(4);
    expect(auth.failure().code).toBe(RtspErrorCode.AUTH_FAILED);
  });

  it(
    'fuzz: any 401 sequence is bounded, and nothing sent or reported leaks the password',
    { timeout: fuzzTimeout() },
    () => {
      const seeds = [
        'Digest realm="IP Camera(23306)", nonce="a946c352dd3ad04cf9830d5e72ffb11e", stale="FALSE"',
        'Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256, opaque="o"',
        'Basic realm="TP-LINK IP-Camera"',
        'Digest realm="r", nonce="n2", qop="auth, auth-int", stale=TRUE, algorithm=MD5-sess',
        'Digest realm="r", nonce="z", algorithm=SHA-256-sess, qop=auth',
        'Negotiate abc==',
      ];
      const step = fc.oneof(
        { weight: 6, arbitrary: fc.array(fuzzInputs(seeds, 200), { maxLength: 3 }).map((values) => ({ values })) },
        { weight: 1, arbitrary: fc.constant('success' as const) },
      );
      const secret = (prefix: string) =>
        fc.string({ minLength: 1, maxLength: 12 }).map((s) => `${prefix}${s.replace(/[\x00-\x1f\x7f]/g, '')}`);
      fc.assert(
        fc.property(
          secret('user-'),
          secret('canary-'),
          fc.array(step, { maxLength: 12 }),
          (username, password, steps) => {
            // Digest sends the user name in clear: a password inside it would be found there, legitimately.
            fc.pre(!username.includes(password));
            const auth = new Authenticator({ username, password });
            let retriesInRound = 0;
            for (const action of steps) {
              if (action === 'success') {
                auth.onSuccess();
                retriesInRound = 0;
                continue;
              }
              let parsed: AuthChallenge[];
              try {
                parsed = parseWwwAuthenticate(action.values);
              } catch (err) {
                expect(isCodedError(err, RtspErrorCode.INVALID_HEADER)).toBe(true);
                parsed = [];
              }
              if (auth.onUnauthorized(parsed)) {
                retriesInRound++;
                // Usable challenges are bounded by MAX_CHALLENGES (16): at most 17 retries per round.
                expect(retriesInRound).toBeLessThanOrEqual(17);
                const header = auth.authorization('DESCRIBE', 'rtsp://cam/x')!;
                expect(header).toMatch(/^(Basic|Digest) /);
                expect(/[\x00-\x1f\x7f]/.test(header)).toBe(false);
                expect(header).not.toContain(password);
              } else {
                const error = auth.failure();
                expect([RtspErrorCode.AUTH_FAILED, RtspErrorCode.UNSUPPORTED_AUTH]).toContain(error.code);
                expect(error.message).not.toContain(password);
                expect(error.message).not.toContain(username);
              }
            }
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
  );
});

describe('Authenticator: credentials hygiene (S04, S05)', () => {
  it('refuses a request URI that carries credentials, without echoing them', () => {
    const auth = new Authenticator({ username: 'admin', password: 'canary-P4ss' });
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n"'));
    let error: unknown;
    try {
      auth.authorization('DESCRIBE', 'rtsp://admin:canary-P4ss@cam/x');
    } catch (err) {
      error = err;
    }
    expect(isCodedError(error, RtspErrorCode.INVALID_URL)).toBe(true);
    expect((error as Error).message).not.toContain('canary-P4ss');
  });

  it.each([
    ['CRLF in the URI', 'rtsp://cam/x\r\nX: y'],
    ['space in the URI', 'rtsp://cam/a b'],
  ])('refuses %s', (_name, uri) => {
    const auth = new Authenticator({ username: 'admin', password: 'pw' });
    auth.onUnauthorized(challenges('Basic realm="r"'));
    expect(() => auth.authorization('DESCRIBE', uri)).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_URL }),
    );
  });

  it('refuses control characters in credentials', () => {
    expect(() => new Authenticator({ username: 'admin\r\nX-Injected: 1', password: 'pw' })).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_URL }),
    );
  });

  it('failure messages name the schemes tried, never the credentials', () => {
    const auth = new Authenticator({ username: 'canary-user', password: 'canary-P4ss' });
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n"', 'Basic realm="r"'));
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n"', 'Basic realm="r"'));
    auth.onUnauthorized(challenges('Digest realm="r", nonce="n"', 'Basic realm="r"'));
    const { message } = auth.failure();
    expect(message).toContain('Digest MD5, Basic');
    expect(message).not.toMatch(/canary/);
  });

  it('the Authorization header never contains a space-free raw password', () => {
    for (const challenge of ['Basic realm="r"', 'Digest realm="r", nonce="n"']) {
      const auth = new Authenticator({ username: 'admin', password: 'canary-P4ss' });
      auth.onUnauthorized(challenges(challenge));
      const header = auth.authorization('DESCRIBE', 'rtsp://cam/x')!;
      expect(hasControlOrSpace(header.replace(/ /g, ''))).toBe(false);
      expect(header).not.toContain('canary-P4ss');
    }
  });
});
