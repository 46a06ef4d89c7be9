import { RtspErrorCode } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { nalTypes, sleep, withCamsim } from './test-harness.js';

/**
 * The RTSP client against camsim scripted like real cameras (quirk cases of
 * shared/reference/rtsp-client.md §7; numbers in the test names refer to it).
 */
describe('RTSP client vs quirky cameras: protocol', () => {
  it('#1 OPTIONS answered 501 Not Implemented: goes on to DESCRIBE', async () => {
    await withCamsim(
      { hooks: { request: (req) => (req.method === 'OPTIONS' ? { statusCode: 501, headers: [] } : undefined) } },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(1, (f) => f.keyframe && f.trackId === 0);
      },
    );
  });

  it('#2 camera that 401s without User-Agent: we always send one', async () => {
    await withCamsim(
      {
        hooks: {
          request: (req) =>
            req.headers.get('User-Agent') === undefined ? { statusCode: 401, headers: [] } : undefined,
        },
      },
      {},
      async ({ session, requests }) => {
        await session.connect();
        expect(requests.every((r) => r.includes('\nUser-Agent: camgate'))).toBe(true);
      },
    );
  });

  it('#3 camera that only understands the exact header name "CSeq"', async () => {
    await withCamsim(
      {
        hooks: {
          request: (req) =>
            [...req.headers].some(([name]) => name === 'CSeq') ? undefined : { statusCode: 400, headers: [] },
        },
      },
      {},
      async ({ session }) => {
        await session.connect();
        expect(session.state).toBe('playing');
      },
    );
  });

  it('#8 broken Content-Base "rtsp://rtsp://..." is repaired', async () => {
    await withCamsim(
      {
        hooks: {
          response: (res, req) =>
            req.method === 'DESCRIBE'
              ? {
                  ...res,
                  headers: res.headers.map(([n, v]) => [
                    n,
                    n === 'Content-Base' ? v.replace('rtsp://', 'rtsp://rtsp://') : v,
                  ]),
                }
              : res,
        },
      },
      {},
      async ({ session, requests }) => {
        await session.connect();
        expect(requests.filter((r) => r.startsWith('SETUP')).map((r) => r.split('\n')[0])).toEqual([
          expect.stringMatching(/^SETUP rtsp:\/\/127\.0\.0\.1:\d+\/h264-aac\/trackID=0$/),
          expect.stringMatching(/^SETUP rtsp:\/\/127\.0\.0\.1:\d+\/h264-aac\/trackID=1$/),
        ]);
      },
    );
  });

  it('#9 Dahua-style query URL: control appended after the query', async () => {
    await withCamsim({}, { path: '/h264-aac?channel=1&subtype=0' }, async ({ session, requests }) => {
      await session.connect();
      expect(requests.find((r) => r.startsWith('SETUP'))?.split('\n')[0]).toMatch(
        /\/h264-aac\?channel=1&subtype=0\/trackID=0$/,
      );
    });
  });

  it('#10 absolute control with the camera-internal IP (port-forward): SETUP stays on our host', async () => {
    await withCamsim(
      {
        hooks: {
          sdp: (sdp) => sdp.replace(/a=control:trackID=(\d)/g, 'a=control:rtsp://10.0.0.1:554/h264-aac/trackID=$1'),
        },
      },
      {},
      async ({ session, requests }) => {
        await session.connect();
        expect(requests.find((r) => r.startsWith('SETUP'))?.split('\n')[0]).toMatch(
          /^SETUP rtsp:\/\/127\.0\.0\.1:\d+\/h264-aac\/trackID=0$/,
        );
      },
    );
  });

  it('#11 #12 Uniview / TP-Link SDP oddities and metadata tracks: video plays, the rest is reported', async () => {
    await withCamsim(
      {
        hooks: {
          sdp: (sdp) =>
            sdp
              .replace(/^o=.*$/m, 'o=- 1001 1 IN')
              .replace(/^c=.*$/m, 'c=IN')
              .concat(
                'm=application 0 RTP/AVP 107\r\na=rtpmap:107 vnd.onvif.metadata/90000\r\na=control:trackID=5\r\n',
                'm=application/TP-LINK 0 RTP/AVP smart/1/90000\r\na=rtpmap:95 smart/1/90000\r\na=control:trackID=6\r\n',
              ),
        },
      },
      {},
      async ({ session, requests, waitForFrames }) => {
        await session.connect();
        await waitForFrames(1, (f) => f.trackId === 0 && f.keyframe);
        expect(session.tracks.map((t) => t.codec)).toEqual(['h264', 'aac']);
        expect(session.unsupportedTracks).toHaveLength(2);
        expect(requests.filter((r) => r.startsWith('SETUP'))).toHaveLength(2);
      },
    );
  });

  it('#15 sprop-parameter-sets with an Annex-B start code prefix: stripped', async () => {
    await withCamsim(
      {
        hooks: {
          sdp: (sdp) =>
            sdp.replace(/sprop-parameter-sets=([^,]+),/, (_m, sps: string) => {
              const prefixed = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from(sps, 'base64')]);
              return `sprop-parameter-sets=${prefixed.toString('base64')},`;
            }),
        },
      },
      {},
      async ({ session }) => {
        await session.connect();
        expect([session.tracks[0]?.width, session.tracks[0]?.height]).toEqual([640, 360]);
      },
    );
  });

  it('#18 Public lists SET_PARAMETER (which Tapo answers 400): keepalives never use it', async () => {
    await withCamsim(
      {
        sessionTimeout: 2,
        hooks: {
          request: (req) => {
            if (req.method === 'OPTIONS')
              return {
                statusCode: 200,
                headers: [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, SET_PARAMETER']],
              };
            if (req.method === 'SET_PARAMETER') return { statusCode: 400, headers: [['CSeq', '1']] };
            return undefined;
          },
        },
      },
      {},
      async ({ session, requests, frames }) => {
        await session.connect();
        await sleep(3_000);
        expect(requests.some((r) => r.startsWith('SET_PARAMETER'))).toBe(false);
        expect(requests.filter((r) => r.startsWith('OPTIONS')).length).toBeGreaterThanOrEqual(2);
        const before = frames.length;
        await sleep(500);
        expect(frames.length).toBeGreaterThan(before);
      },
    );
  });

  it('#19 camera sends OPTIONS, GET_PARAMETER, SET_PARAMETER, ANNOUNCE mid-stream: answered 200, stream goes on', async () => {
    const answers: number[] = [];
    await withCamsim(
      {
        hooks: {
          playing: (ctx) => {
            for (const method of ['OPTIONS', 'GET_PARAMETER', 'SET_PARAMETER', 'ANNOUNCE', 'REDIRECT'])
              ctx.sendRequest(method, '*');
          },
          clientResponse: (res) => answers.push(res.statusCode),
        },
      },
      {},
      async ({ session, waitForFrames, frames }) => {
        await session.connect();
        await waitForFrames(10);
        expect(answers).toEqual([200, 200, 200, 200, 501]);
        expect(session.state).toBe('playing');
        expect(frames.length).toBeGreaterThanOrEqual(10);
      },
    );
  });

  it('#22 server-chosen interleaved channels (8-9, 10-11) and Escam "RTP/AVP;unicast;interleaved=" without /TCP', async () => {
    await withCamsim(
      {
        interleavedChannels: (_requested, i) => [8 + 2 * i, 9 + 2 * i],
        hooks: {
          response: (res, req) =>
            req.method === 'SETUP'
              ? {
                  ...res,
                  headers: res.headers.map(([n, v]) => [
                    n,
                    n === 'Transport' ? v.replace('RTP/AVP/TCP', 'RTP/AVP') : v,
                  ]),
                }
              : res,
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(2, (f) => f.trackId === 1);
        await waitForFrames(1, (f) => f.trackId === 0 && f.keyframe);
      },
    );
  });

  it('#24 RTP and RTCP before the PLAY answer (Reolink): accepted', async () => {
    // camsim starts sending as it handles PLAY, before writing the answer.
    await withCamsim({}, {}, async ({ session, frames }) => {
      await session.connect();
      expect(frames.length).toBeGreaterThan(0);
    });
  });

  it('#25 #26 data on never-set-up channels and junk between frames (Canon VB-H47): ignored, resynchronized', async () => {
    await withCamsim(
      {
        hooks: {
          playing: (ctx) => ctx.writeRaw(Buffer.from([0x24, 0x06, 0x00, 0x04, 1, 2, 3, 4])),
          packet: (packet, ctx) => {
            if (packet.sequenceNumber % 7 === 0) ctx.writeRaw(Buffer.from('\r\n\x00\x01garbage'));
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const video = await waitForFrames(40, (f) => f.trackId === 0);
        expect(video.length).toBe(40);
        expect(session.stats.errors['RTSP_UNASSIGNED_CHANNEL']).toBeGreaterThanOrEqual(1);
        expect(session.stats.junkBytes).toBeGreaterThan(0);
      },
    );
  });

  it('#27 302 redirect on DESCRIBE is followed with the credentials (same host)', async () => {
    await withCamsim(
      {
        auth: { username: 'admin', password: 'p4ss' },
        hooks: {
          request: (req) =>
            req.method === 'DESCRIBE' && req.uri.endsWith('/old')
              ? { statusCode: 302, headers: [['Location', req.uri.replace('/old', '/h264-aac')]] }
              : undefined,
        },
      },
      { path: '/old', credentials: { username: 'admin', password: 'p4ss' } },
      async ({ session }) => {
        await session.connect();
        expect(session.tracks).toHaveLength(2);
      },
    );
  });

  it('#27 redirect loop: RTSP_TOO_MANY_REDIRECTS', async () => {
    await withCamsim(
      {
        hooks: {
          request: (req) =>
            req.method === 'DESCRIBE' ? { statusCode: 301, headers: [['Location', req.uri]] } : undefined,
        },
      },
      {},
      async ({ session }) => {
        await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.TOO_MANY_REDIRECTS });
      },
    );
  });

  it('#27 redirect to another host drops the credentials', async () => {
    await withCamsim(
      {
        auth: { username: 'admin', password: 'p4ss' },
        hooks: {
          request: (req) =>
            req.method === 'DESCRIBE' && req.uri.includes('127.0.0.1')
              ? { statusCode: 302, headers: [['Location', req.uri.replace('127.0.0.1', 'localhost')]] }
              : undefined,
        },
      },
      { credentials: { username: 'admin', password: 'p4ss' } },
      async ({ session }) => {
        await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.AUTH_REQUIRED });
      },
    );
  });

  it('#34 #38 PCM/48000 (Hikvision) is reported unsupported; we never send Require (backchannel)', async () => {
    await withCamsim(
      { hooks: { sdp: (sdp) => `${sdp}m=audio 0 RTP/AVP 11\r\na=rtpmap:11 PCM/48000\r\na=control:trackID=7\r\n` } },
      {},
      async ({ session, requests }) => {
        await session.connect();
        expect(session.unsupportedTracks.map((u) => u.kind)).toEqual(['audio']);
        expect(requests.some((r) => /\nRequire:/i.test(r))).toBe(false);
      },
    );
  });

  it('strips access unit delimiters and keeps SPS/PPS before every keyframe', async () => {
    await withCamsim({}, {}, async ({ session, waitForFrames }) => {
      await session.connect();
      const [key] = await waitForFrames(1, (f) => f.trackId === 0 && f.keyframe);
      expect(nalTypes(key!.data).slice(0, 2)).toEqual([7, 8]);
      expect(nalTypes(key!.data)).not.toContain(9);
    });
  });
});
