import { RtspErrorCode, RtspSession } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { CamsimServer } from '../server/camsim-server.js';
import { sleep, withCamsim } from './test-harness.js';

describe('RTSP client vs quirky cameras: transport and faults', () => {
  it('#21 camera refuses TCP (461): auto falls back to UDP', async () => {
    await withCamsim({ transports: { tcp: false } }, {}, async ({ session, waitForFrames }) => {
      await session.connect();
      expect(session.transport).toBe('udp');
      await waitForFrames(1, (f) => f.keyframe && f.trackId === 0);
    });
  });

  it('#21 UDP accepted but nothing arrives: reconnects over TCP, frames flagged discontinuous', async () => {
    const transports: string[] = [];
    await withCamsim(
      {
        hooks: {
          request: (req, ctx) =>
            ctx.connectionNumber === 1 &&
            req.method === 'SETUP' &&
            req.headers.get('Transport')?.includes('TCP') === true
              ? { statusCode: 461, headers: [] }
              : undefined,
          packet: (p) => (p.transport === 'udp' ? 'drop' : undefined),
        },
      },
      { udpFallbackMs: 800 },
      async ({ session, waitForFrames }) => {
        session.on('transport', (t) => transports.push(t));
        const switched = new Promise((resolve) => session.once('transport', resolve));
        await session.connect();
        expect(session.transport).toBe('udp');
        await switched;
        const [first] = await waitForFrames(1);
        expect(transports).toEqual(['tcp']);
        expect(session.transport).toBe('tcp');
        expect(first?.discontinuity).toBe(true);
      },
    );
  });

  it('UDP transport forced: RTCP receiver reports flow, frames arrive, loss counted as zero', async () => {
    await withCamsim({}, { transport: 'udp' }, async ({ session, waitForFrames }) => {
      await session.connect();
      await waitForFrames(50);
      expect(session.stats.lost).toBe(0);
    });
  });

  it('#17 short session timeout ("1234 ; timeout = 2"): keepalives keep it alive', async () => {
    await withCamsim(
      {
        sessionTimeout: 2,
        hooks: {
          response: (res) => ({
            ...res,
            headers: res.headers.map(([n, v]) => [n, n === 'Session' ? v.replace(';timeout=2', ' ; timeout = 2') : v]),
          }),
        },
      },
      {},
      async ({ session, frames, requests }) => {
        await session.connect();
        await sleep(3_500);
        const before = frames.length;
        await sleep(400);
        expect(frames.length).toBeGreaterThan(before);
        expect(requests.filter((r) => r.startsWith('GET_PARAMETER')).length).toBeGreaterThanOrEqual(2);
      },
    );
  });

  it('#20 camera never answers keepalives: the session keeps streaming', async () => {
    await withCamsim(
      { sessionTimeout: 2, hooks: { request: (req) => (req.method === 'GET_PARAMETER' ? 'ignore' : undefined) } },
      { requestTimeoutMs: 500 },
      async ({ session, frames }) => {
        await session.connect();
        await sleep(3_000);
        const before = frames.length;
        await sleep(400);
        expect(session.state).toBe('playing');
        expect(frames.length).toBeGreaterThan(before);
      },
    );
  });

  it('#39 second client gets 453 Not Enough Bandwidth: RTSP_SESSION_LIMIT', async () => {
    await withCamsim({ maxSessions: 1 }, {}, async ({ server, session }) => {
      await session.connect();
      const second = new RtspSession({ url: server.url('/h264-aac') });
      await expect(second.connect()).rejects.toMatchObject({ code: RtspErrorCode.SESSION_LIMIT });
      await second.close();
    });
  });

  it('404: RTSP_NOT_FOUND', async () => {
    await withCamsim({}, { path: '/nope' }, async ({ session }) => {
      await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.NOT_FOUND });
    });
  });

  it('F02 connection reset during DESCRIBE: RTSP_CONNECTION_CLOSED, no crash', async () => {
    await withCamsim(
      {
        hooks: {
          request: (req, ctx) => {
            if (req.method === 'DESCRIBE') ctx.close();
            return req.method === 'DESCRIBE' ? 'ignore' : undefined;
          },
        },
      },
      {},
      async ({ session }) => {
        await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.CONNECTION_CLOSED });
      },
    );
  });

  it('F02 connection reset while playing: error event, then close', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p, ctx) => {
            if (p.frameNumber === 10) ctx.close();
            return undefined;
          },
        },
      },
      {},
      async ({ session }) => {
        const events: string[] = [];
        session.on('error', (e) => events.push(`error ${e.code}`));
        session.on('close', () => events.push('close'));
        const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
        await session.connect();
        await closed;
        await session.close();
        expect(events).toEqual([`error ${RtspErrorCode.CONNECTION_CLOSED}`, 'close']);
        expect(session.state).toBe('closed');
      },
    );
  });

  it('F03 camera freezes (still answers keepalives): RTSP_TIMEOUT after the read timeout', async () => {
    await withCamsim(
      { senderReportIntervalMs: 0, hooks: { packet: (p) => (p.frameNumber > 5 ? 'drop' : undefined) } },
      { readTimeoutMs: 1_500 },
      async ({ session }) => {
        const failed = new Promise((resolve) => session.once('error', resolve));
        const started = performance.now();
        await session.connect();
        expect(await failed).toMatchObject({ code: RtspErrorCode.TIMEOUT });
        expect(performance.now() - started).toBeLessThan(1_500 + 2_000);
      },
    );
  });

  it('F04 camera accepts TCP but never answers OPTIONS: RTSP_TIMEOUT', async () => {
    await withCamsim({ hooks: { request: () => 'ignore' } }, { requestTimeoutMs: 500 }, async ({ session }) => {
      await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.TIMEOUT });
      expect(session.state).toBe('closed');
    });
  });

  it('connection refused: RTSP_CONNECTION_FAILED', async () => {
    const server = await CamsimServer.start();
    const url = server.url('/h264-aac');
    await server.close();
    const session = new RtspSession({ url });
    await expect(session.connect()).rejects.toMatchObject({ code: RtspErrorCode.CONNECTION_FAILED });
  });

  it('close() releases every socket and timer, over TCP and UDP', async () => {
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'Timeout'].includes(r)).length;
    const server = await CamsimServer.start();
    const baseline = handles();
    for (const transport of ['tcp', 'udp'] as const) {
      const session = new RtspSession({ url: server.url('/h264-aac'), transport });
      await session.connect();
      await new Promise((resolve) => session.once('frame', resolve));
      expect(handles()).toBeGreaterThan(baseline);
      await session.close();
    }
    await sleep(50); // the server notices the closed connections
    expect(handles()).toBeLessThanOrEqual(baseline);
    await server.close();
  });
});

describe('RTSP client over UDP: RTCP and odd SETUP answers', () => {
  it('sends RTCP receiver reports with a report block per track, periodically', async () => {
    const reports: number[] = [];
    await withCamsim(
      {
        hooks: {
          rtcp: (data) => {
            if (data[1] === 201) reports.push((data[0] as number) & 0x1f);
          },
        },
      },
      { transport: 'udp', receiverReportIntervalMs: 200 },
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(1);
        await expect
          .poll(() => reports.filter((blocks) => blocks === 1).length, { timeout: 5_000 })
          .toBeGreaterThanOrEqual(4);
      },
    );
  });

  it('B16 SETUP answered without a Transport header: requested channels / any camera port assumed', async () => {
    const dropTransport = (res: { headers: Array<[string, string]> }) => ({
      ...res,
      headers: res.headers.filter(([n]) => n !== 'Transport'),
    });
    for (const transport of ['tcp', 'udp'] as const) {
      await withCamsim(
        { hooks: { response: (res, req) => (req.method === 'SETUP' ? { ...res, ...dropTransport(res) } : res) } },
        { transport },
        async ({ session, waitForFrames }) => {
          await session.connect();
          await waitForFrames(1, (f) => f.trackId === 0 && f.keyframe);
        },
      );
    }
  });
});
