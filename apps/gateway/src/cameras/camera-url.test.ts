import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { hasPassword, maskedUrl, resolveCameraUrl, sourceKey, type CameraUrlInput } from './camera-url.js';

const STORED = 'rtsp://admin:s3cret@192.168.1.20:554/stream1';
const STORED_QUERY = 'rtsp://192.168.1.30/live?user=admin&password=q-s3cret&channel=1';
const STORED_PATH = 'rtsp://192.168.1.40:554/user=admin&password=p-s3cret&channel=1&stream=0.sdp';

describe('resolveCameraUrl: what is stored, for any client', () => {
  const cases: Array<[name: string, input: CameraUrlInput, stored: string | undefined, want: string]> = [
    // Creating
    ['create: the URL as given', { url: STORED }, undefined, STORED],
    [
      'create: write-only fields set the user information, percent-encoded',
      { url: 'rtsp://192.168.1.20/stream1', username: 'ad min', password: 'p@ss:w/rd%' },
      undefined,
      'rtsp://ad%20min:p%40ss%3Aw%2Frd%25@192.168.1.20/stream1',
    ],
    [
      'create: the password field wins over the URL',
      { url: 'rtsp://admin:old@192.168.1.20/s', password: 'new' },
      undefined,
      'rtsp://admin:new@192.168.1.20/s',
    ],
    // Sending back what the API showed
    [
      'the masked URL back, path changed: the stored password stays',
      { url: 'rtsp://admin:***@192.168.1.20:554/stream2' },
      STORED,
      'rtsp://admin:s3cret@192.168.1.20:554/stream2',
    ],
    [
      'the mask percent-encoded: the same',
      { url: 'rtsp://admin:%2A%2A%2A@192.168.1.20:554/stream2' },
      STORED,
      'rtsp://admin:s3cret@192.168.1.20:554/stream2',
    ],
    [
      'no password, same user and host: kept',
      { url: 'rtsp://admin@192.168.1.20/stream2' },
      STORED,
      'rtsp://admin:s3cret@192.168.1.20/stream2',
    ],
    [
      'no user information at all: the stored user and password stay',
      { url: 'rtsp://192.168.1.20/stream2' },
      STORED,
      'rtsp://admin:s3cret@192.168.1.20/stream2',
    ],
    [
      'host in other letter case: the same host',
      { url: 'rtsp://admin:***@CAM.local/x' },
      'rtsp://admin:pw@cam.local/y',
      'rtsp://admin:pw@CAM.local/x',
    ],
    [
      'rtsp to rtsps on the same host: kept (an upgrade)',
      { url: 'rtsps://admin:***@192.168.1.20/stream1' },
      STORED,
      'rtsps://admin:s3cret@192.168.1.20/stream1',
    ],
    [
      'a new password in the URL replaces the stored one',
      { url: 'rtsp://admin:n3w@192.168.1.20:554/stream1' },
      STORED,
      'rtsp://admin:n3w@192.168.1.20:554/stream1',
    ],
    [
      'another user without a password: no password (a new user needs its own)',
      { url: 'rtsp://viewer@192.168.1.20/stream1' },
      STORED,
      'rtsp://viewer@192.168.1.20/stream1',
    ],
    [
      'another host without a password: no password (never sent to another host)',
      { url: 'rtsp://admin@192.168.1.21/stream1' },
      STORED,
      'rtsp://admin@192.168.1.21/stream1',
    ],
    [
      'fields only: the password changes, the rest stays',
      { password: 'n3w' },
      STORED,
      'rtsp://admin:n3w@192.168.1.20:554/stream1',
    ],
    ['password null removes it', { password: null }, STORED, 'rtsp://admin@192.168.1.20:554/stream1'],
    ['password "" removes it', { password: '' }, STORED, 'rtsp://admin@192.168.1.20:554/stream1'],
    ['username null removes user and password', { username: null }, STORED, 'rtsp://192.168.1.20:554/stream1'],
    [
      'username alone: a new user without the old password',
      { username: 'viewer' },
      STORED,
      'rtsp://viewer@192.168.1.20:554/stream1',
    ],
    [
      'username and password fields with a bare URL of another host',
      { url: 'rtsp://10.0.0.9/s', username: 'u', password: 'p' },
      STORED,
      'rtsp://u:p@10.0.0.9/s',
    ],
    // Secrets in the query string and in the path
    [
      'a masked query password keeps the stored value',
      { url: 'rtsp://192.168.1.30/live?user=admin&password=***&channel=2' },
      STORED_QUERY,
      'rtsp://192.168.1.30/live?user=admin&password=q-s3cret&channel=2',
    ],
    [
      'a masked path password (Xiongmai) keeps the stored value',
      { url: 'rtsp://192.168.1.40:554/user=admin&password=***&channel=2&stream=0.sdp' },
      STORED_PATH,
      'rtsp://192.168.1.40:554/user=admin&password=p-s3cret&channel=2&stream=0.sdp',
    ],
    [
      'a new query password replaces the stored one',
      { url: 'rtsp://192.168.1.30/live?user=admin&password=n3w&channel=1' },
      STORED_QUERY,
      'rtsp://192.168.1.30/live?user=admin&password=n3w&channel=1',
    ],
  ];
  it.each(cases)('%s', (_name, input, stored, want) => {
    expect(resolveCameraUrl(input, stored)).toBe(want);
  });

  const refused: Array<[name: string, input: CameraUrlInput, stored: string | undefined, code: string, field: string]> =
    [
      ['the mask as the password field', { password: '***' }, STORED, GatewayErrorCode.MASKED_PASSWORD, 'password'],
      [
        'a masked URL for a new camera',
        { url: 'rtsp://admin:***@cam/x' },
        undefined,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'a masked URL pointing at another host',
        { url: 'rtsp://admin:***@192.168.1.99/stream1' },
        STORED,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'a masked URL for another user',
        { url: 'rtsp://viewer:***@192.168.1.20/stream1' },
        STORED,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'rtsps to rtsp with the mask (a downgrade would send the password in the clear)',
        { url: 'rtsp://admin:***@cam/x' },
        'rtsps://admin:pw@cam/x',
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'a masked query password with nothing stored to restore',
        { url: 'rtsp://192.168.1.30/live?password=***' },
        STORED,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'a masked query password on another host',
        { url: 'rtsp://10.9.9.9/live?user=admin&password=***' },
        STORED_QUERY,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      ['not RTSP', { url: 'http://cam/x' }, undefined, GatewayErrorCode.VALIDATION, 'url'],
      [
        'an @ after the host: refused here, not accepted and then failed',
        { url: 'rtsp://h/p?x=a@b' },
        undefined,
        GatewayErrorCode.VALIDATION,
        'url',
      ],
      ['a control character in the user name', { username: 'a\nb' }, STORED, GatewayErrorCode.VALIDATION, 'username'],
      [
        'half a surrogate pair as the password',
        { password: '\ud800' },
        STORED,
        GatewayErrorCode.VALIDATION,
        'password',
      ],
      [
        'the same host on another port with the mask (a port forward may lead to another camera)',
        { url: 'rtsp://admin:***@192.168.1.20:8554/stream1' },
        STORED,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        'a masked query password for another user',
        { url: 'rtsp://192.168.1.30/live?user=bob&password=***&channel=1' },
        STORED_QUERY,
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
      [
        "a masked password whose stored value would read differently there (its tail shown: Xiongmai's _name= form)",
        { url: 'rtsp://192.168.1.30/user=admin_password=***_channel=1' },
        'rtsp://192.168.1.30/live?user=admin&password=ab_x=1',
        GatewayErrorCode.MASKED_PASSWORD,
        'url',
      ],
    ];
  it.each(refused)('refuses %s', (_name, input, stored, code, field) => {
    let thrown: unknown;
    try {
      resolveCameraUrl(input, stored);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code, fields: expect.arrayContaining([expect.objectContaining({ field })]) });
    // The error never repeats a stored secret.
    expect(JSON.stringify(thrown)).not.toMatch(/s3cret/);
    expect((thrown as Error).message).not.toMatch(/s3cret/);
  });
});

describe('what the API shows of a URL', () => {
  it.each([
    [STORED, 'rtsp://admin:***@192.168.1.20:554/stream1', true],
    [STORED_QUERY, 'rtsp://192.168.1.30/live?user=admin&password=***&channel=1', true],
    [STORED_PATH, 'rtsp://192.168.1.40:554/user=admin&password=***&channel=1&stream=0.sdp', true],
    ['rtsp://admin@cam/x', 'rtsp://admin@cam/x', false],
    // Masked even when empty: the shown URL says nothing about the secret.
    ['rtsp://cam/x?password=', 'rtsp://cam/x?password=***', false],
    [
      'rtsp://192.168.1.108/cam/realmonitor?channel=1&subtype=0',
      'rtsp://192.168.1.108/cam/realmonitor?channel=1&subtype=0',
      false,
    ],
  ])('%s shows as %s (hasPassword %s)', (url, shown, password) => {
    expect(maskedUrl(url)).toBe(shown);
    expect(hasPassword(url)).toBe(password);
  });

  it('a shown URL sent back resolves to the stored one (round trip)', () => {
    for (const stored of [STORED, STORED_QUERY, STORED_PATH]) {
      expect(resolveCameraUrl({ url: maskedUrl(stored) }, stored)).toBe(stored);
    }
  });
});

describe('sourceKey: one stream, however it is written', () => {
  it.each([
    ['rtsp://admin:x@Cam:554/s1/', 'rtsp://cam/s1'],
    ['rtsp://cam/live?user=a&password=one', 'rtsp://cam/live?user=a&password=two'],
    ['rtsps://cam:322/x', 'rtsps://cam/x'],
  ])('%s and %s are one source', (a, b) => {
    expect(sourceKey(a)).toBe(sourceKey(b));
  });

  it('never throws, even for a URL an older camgate stored that this reading cannot take apart', () => {
    expect(sourceKey('rtsp://[fe80::1]/p?x=a@b')).toEqual(expect.any(String));
  });

  it.each([
    ['rtsp://cam/cam/realmonitor?channel=1&subtype=0', 'rtsp://cam/cam/realmonitor?channel=1&subtype=1'],
    ['rtsp://cam/s1', 'rtsp://cam/s2'],
    ['rtsp://cam:554/s1', 'rtsp://cam:8554/s1'],
    ['rtsp://cam1/s1', 'rtsp://cam2/s1'],
  ])('%s and %s are two sources', (a, b) => {
    expect(sourceKey(a)).not.toBe(sourceKey(b));
  });
});
