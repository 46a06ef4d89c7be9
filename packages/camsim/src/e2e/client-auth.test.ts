import { RtspErrorCode, RtspSession } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { CamsimServer } from '../server/camsim-server.js';
import { sleep, withCamsim } from './test-harness.js';

const USER = { username: 'admin', password: 'Sup3r:s3cr@t#%' };

describe('RTSP client vs quirky cameras: authentication', () => {
  it.each([
    ['Basic', ['basic'] as const],
    ['Digest MD5 with qop=auth', ['digest-md5'] as const],
    ['Digest SHA-256 with qop=auth and opaque (Dahua)', ['digest-sha256'] as const],
  ])('#5 %s', async (_name, schemes) => {
    await withCamsim(
      { auth: { ...USER, schemes: [...schemes], opaque: 'op4que' } },
      { credentials: USER },
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(1, (f) => f.keyframe && f.trackId === 0);
      },
    );
  });

  it('Digest without qop (RFC 2069, most Hikvision/Dahua)', async () => {
    await withCamsim({ auth: { ...USER, qop: false } }, { credentials: USER }, async ({ session }) => {
      await session.connect();
    });
  });

  it('#4 two challenges where only the second scheme works (TP-Link): falls back', async () => {
    await withCamsim(
      { auth: { ...USER, schemes: ['digest-md5', 'basic'], accepted: ['basic'] } },
      { credentials: USER },
      async ({ session }) => {
        await session.connect();
        expect(session.state).toBe('playing');
      },
    );
  });

  it('#4 strongest first: SHA-256 is used when offered with MD5 and Basic', async () => {
    await withCamsim(
      { auth: { ...USER, schemes: ['basic', 'digest-md5', 'digest-sha256'] } },
      { credentials: USER },
      async ({ session, requests }) => {
        await session.connect();
        expect(requests.find((r) => r.startsWith('SETUP'))).toMatch(/Authorization: Digest .*algorithm=SHA-256/);
      },
    );
  });

  it('#6 nonce expiry mid-session (401 stale=true): re-authenticates, the session lives on', async () => {
    await withCamsim(
      { auth: { ...USER, nonceLifetime: 6 }, sessionTimeout: 2 },
      { credentials: USER },
      async ({ session, frames, requests }) => {
        await session.connect();
        await sleep(4_500);
        const before = frames.length;
        await sleep(500);
        expect(frames.length).toBeGreaterThan(before);
        expect(requests.filter((r) => r.startsWith('GET_PARAMETER')).length).toBeGreaterThanOrEqual(3);
      },
    );
  });

  it('#7 password with %40, ":" and "#": decoded, hashed right, never in a request line', async () => {
    await withCamsim({ auth: USER }, { credentials: USER }, async ({ session, requests }) => {
      await session.connect();
      expect(requests.join('\n')).not.toContain(USER.password);
      expect(requests.join('\n')).not.toContain(encodeURIComponent(USER.password));
    });
  });

  it('wrong password: RTSP_AUTH_FAILED after one retry per offered scheme', async () => {
    await withCamsim(
      { auth: { ...USER, schemes: ['digest-md5', 'basic'] } },
      { credentials: { username: 'admin', password: 'wrong' } },
      async ({ session, requests }) => {
        await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.AUTH_FAILED });
        expect(requests.filter((r) => r.startsWith('OPTIONS')).length).toBeLessThanOrEqual(1);
        expect(requests.filter((r) => r.startsWith('DESCRIBE')).length).toBeLessThanOrEqual(3);
      },
    );
  });

  it('no credentials: RTSP_AUTH_REQUIRED', async () => {
    await withCamsim({ auth: USER }, {}, async ({ session }) => {
      await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.AUTH_REQUIRED });
    });
  });

  it('S05 canary password: in no request, error, URL or stats', async () => {
    const canary = 'CanaryPassw0rd-7c1f';
    const server = await CamsimServer.start({ auth: { username: 'u', password: 'other' } });
    const seen: string[] = [];
    const session = new RtspSession({
      url: server.url('/h264-aac', { username: 'u', password: canary }),
      logger: {
        debug: (f, m) => seen.push(JSON.stringify(f) + m),
        info: (f, m) => seen.push(JSON.stringify(f) + m),
        warn: (f, m) => seen.push(JSON.stringify(f) + m),
      },
    });
    try {
      const error = await session.connect().catch((e: unknown) => e as Error);
      seen.push(
        String(error),
        (error as Error).message,
        JSON.stringify(error),
        session.url,
        JSON.stringify(session.stats),
      );
      expect(seen.join('\n')).not.toContain(canary);
      expect(session.url).toBe(`rtsp://u:***@127.0.0.1:${server.port}/h264-aac`);
    } finally {
      await session.close();
      await server.close();
    }
  });
});
