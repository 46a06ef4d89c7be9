import type { Frame, Track } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { nalTypes, withCamsim } from './test-harness.js';

/** A 1920x1080 High-profile SPS made by x264 (packages/codecs/testdata/h264-high-1080p.h264). */
const SPS_1080P = Buffer.from('6764002aacd940780227e5c04400000303e40000bb80f181831960', 'hex');

function increasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] as number));
}

const video = (f: Frame) => f.trackId === 0;
const audio = (f: Frame) => f.trackId === 1;

describe('RTSP client vs quirky cameras: media', () => {
  it('#14 no sprop-parameter-sets in the SDP: learned in-band, track described on the way', async () => {
    const changes: Track[] = [];
    await withCamsim({ omitParameterSets: true }, {}, async ({ session, waitForFrames }) => {
      session.on('track-change', (t) => changes.push(t));
      await session.connect();
      const [key] = await waitForFrames(1, (f) => video(f) && f.keyframe);
      expect(nalTypes(key!.data).slice(0, 2)).toEqual([7, 8]);
      expect(changes.map((t) => [t.width, t.height, t.codecString])).toEqual([[640, 360, 'avc1.64001e']]);
      expect(session.tracks[0]?.width).toBe(640);
    });
  });

  it('#28 SPS and PPS each with the marker bit (Tapo TC70): still one access unit with the IDR', async () => {
    await withCamsim(
      {
        packetize: { aggregate: false },
        hooks: {
          packet: (p) => {
            const type = (p.payload[0] as number) & 0x1f;
            if (p.trackIndex === 0 && (type === 7 || type === 8)) p.marker = true;
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const keys = await waitForFrames(2, (f) => video(f) && f.keyframe);
        for (const key of keys) {
          const types = nalTypes(key.data);
          expect(types.slice(0, 2)).toEqual([7, 8]);
          expect(types.filter((t) => t === 5)).toHaveLength(1);
        }
      },
    );
  });

  it('#31 no marker bit at all (FLIR M400): frames split on timestamp change', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p) => {
            p.marker = false;
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const frames = await waitForFrames(30, video);
        expect(increasing(frames.map((f) => f.dts))).toBe(true);
        expect(session.stats.errors).toEqual({});
      },
    );
  });

  it('#29 FU-A start without its end: the broken frame is dropped, the stream goes on', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p) => {
            // The end of the second keyframe's fragmented IDR (keyframes are the frames large enough to fragment).
            const fuEnd = (p.payload[0] as number) % 32 === 28 && ((p.payload[1] as number) & 0x40) !== 0;
            return p.trackIndex === 0 && p.keyframe && p.frameNumber > 1 && fuEnd ? 'drop' : undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(50, video);
        expect(session.stats.tracks[0]?.errors['RTP_INCOMPLETE_FRAGMENT']).toBeGreaterThanOrEqual(1);
      },
    );
  });

  it('#30 H.265: AP with VPS/SPS/PPS and FU with start and end in one packet (OpenIPC)', async () => {
    await withCamsim(
      {
        packetize: { maxPayloadSize: 60_000 },
        hooks: {
          packet: (p) => {
            if (p.trackIndex !== 0) return undefined;
            const type = ((p.payload[0] as number) >> 1) & 0x3f;
            if (type >= 48) return undefined;
            // Re-wrap a single NAL unit packet as one FU with S and E set.
            const header = [((p.payload[0] as number) & 0x81) | (49 << 1), p.payload[1] as number, 0xc0 | type];
            p.payload = Buffer.concat([Buffer.from(header), p.payload.subarray(2)]);
            return undefined;
          },
        },
      },
      { path: '/h265-aac' },
      async ({ session, waitForFrames }) => {
        await session.connect();
        const frames = await waitForFrames(30, video);
        expect(frames.filter((f) => f.keyframe).length).toBeGreaterThanOrEqual(1);
        expect(session.tracks[0]).toMatchObject({ codec: 'h265', width: 640, height: 360 });
        expect(session.stats.tracks[0]?.errors).toEqual({});
      },
    );
  });

  it('#33 ADTS-wrapped AAC access units (Reolink): headers stripped', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p) => {
            if (p.trackIndex !== 1) return undefined;
            const au = p.payload.subarray(4);
            const length = au.length + 7;
            const adts = [
              0xff,
              0xf1,
              0x4c,
              0x80 | (length >> 11),
              (length >> 3) & 0xff,
              ((length & 7) << 5) | 0x1f,
              0xfc,
            ];
            const headers = [0x00, 0x10, (length << 3) >> 8, (length << 3) & 0xff];
            p.payload = Buffer.concat([Buffer.from(headers), Buffer.from(adts), au]);
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const frames = await waitForFrames(10, audio);
        expect(frames.every((f) => f.data[0] !== 0xff)).toBe(true);
      },
    );
  });

  it('#36 / F13 resolution change in-band: track-change with the new SPS before the frame that uses it', async () => {
    const events: string[] = [];
    await withCamsim(
      {
        packetize: { aggregate: false },
        hooks: {
          packet: (p) => {
            if (p.trackIndex === 0 && ((p.payload[0] as number) & 0x1f) === 7 && p.frameNumber > 45)
              p.payload = SPS_1080P;
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        session.on('track-change', (t) => events.push(`change ${t.width}x${t.height}`));
        session.on('frame', (f) => {
          if (video(f) && f.keyframe) events.push(`key ${nalTypes(f.data).join(',')}`);
        });
        await session.connect();
        await waitForFrames(2, (f) => video(f) && f.keyframe && Buffer.from(f.data).includes(SPS_1080P));
        const change = events.indexOf('change 1920x1080');
        expect(change).toBeGreaterThan(0);
        expect(events[change + 1]).toMatch(/^key/);
        expect(session.tracks[0]).toMatchObject({ width: 1920, height: 1080 });
      },
    );
  });

  it('#37 10000-byte UDP datagrams (Tapo)', async () => {
    let largest = 0;
    await withCamsim(
      {
        packetize: { maxPayloadSize: 10_000 },
        hooks: {
          packet: (p) => {
            largest = Math.max(largest, p.payload.length);
            return undefined;
          },
        },
      },
      { transport: 'udp' },
      async ({ session, waitForFrames }) => {
        await session.connect();
        await waitForFrames(2, (f) => video(f) && f.keyframe);
        expect(largest).toBeGreaterThan(5_000);
        expect(session.stats.lost).toBe(0);
        expect(session.stats.tracks[0]?.errors).toEqual({});
      },
    );
  });

  it('F09 RTP timestamps wrap 1 s after start: continuous, no discontinuity', async () => {
    await withCamsim({ initialTimestamp: 2 ** 32 - 90_000 }, {}, async ({ session, waitForFrames }) => {
      await session.connect();
      const frames = await waitForFrames(60, video);
      expect(increasing(frames.map((f) => f.dts))).toBe(true);
      expect(frames.some((f) => f.discontinuity)).toBe(false);
      const a = await waitForFrames(100, audio);
      expect(increasing(a.map((f) => f.pts))).toBe(true);
    });
  });

  it('F10 sequence numbers start at 65500: no false loss across the wrap', async () => {
    await withCamsim({ initialSequence: 65_500 }, {}, async ({ session, waitForFrames }) => {
      await session.connect();
      await waitForFrames(40, video);
      expect(session.stats.lost).toBe(0);
      expect(session.stats.errors).toEqual({});
    });
  });

  it('F11 SSRC change without reconnecting: accepted, one discontinuity per track', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p) => {
            if (p.frameNumber > (p.trackIndex === 0 ? 20 : 40)) p.ssrc = 0xdeadbeef + p.trackIndex;
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const v = await waitForFrames(60, video);
        const a = await waitForFrames(90, audio);
        expect(v.filter((f) => f.discontinuity)).toHaveLength(1);
        expect(a.filter((f) => f.discontinuity)).toHaveLength(1);
        expect(increasing(v.map((f) => f.dts))).toBe(true);
        expect(increasing(a.map((f) => f.pts))).toBe(true);
      },
    );
  });

  it('F12 timestamps jump +1 h mid-stream: adopted with one discontinuity, no gap on the timeline', async () => {
    await withCamsim(
      {
        hooks: {
          packet: (p) => {
            if (p.frameNumber > 20) p.timestamp = (p.timestamp + 3600 * (p.trackIndex === 0 ? 90_000 : 48_000)) >>> 0;
            return undefined;
          },
        },
      },
      {},
      async ({ session, waitForFrames }) => {
        await session.connect();
        const v = await waitForFrames(50, video);
        expect(v.filter((f) => f.discontinuity)).toHaveLength(1);
        expect(increasing(v.map((f) => f.dts))).toBe(true);
        const steps = v.slice(1).map((f, i) => f.dts - (v[i] as Frame).dts);
        expect(Math.max(...steps)).toBeLessThan(90_000);
      },
    );
  });
});
