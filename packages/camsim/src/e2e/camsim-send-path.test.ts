import type { Frame } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import type { SentFrame } from '../server/camsim-server.js';
import { withCamsim } from './test-harness.js';

/** The first `count` video frames a client receives, and what camsim reported sending. */
async function firstFrames(count: number, packetHook: boolean): Promise<{ frames: Frame[]; sent: SentFrame[] }> {
  const sent: SentFrame[] = [];
  let frames: Frame[] = [];
  await withCamsim(
    {
      hooks: {
        frameSent: (frame) => sent.push(frame),
        // A packet hook that changes nothing sends packet by packet (the slow path).
        ...(packetHook ? { packet: () => undefined } : {}),
      },
    },
    { transport: 'tcp' },
    async ({ session, waitForFrames }) => {
      await session.connect();
      frames = (await waitForFrames(count, (f) => f.trackId === 0)).slice(0, count);
    },
  );
  return { frames, sent };
}

describe('camsim sending over TCP', () => {
  it('sends a frame as one write without a packet hook, the same bytes as packet by packet', async () => {
    const fast = await firstFrames(12, false);
    const slow = await firstFrames(12, true);
    expect(fast.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
      slow.frames.map((f) => Buffer.from(f.data).toString('hex')),
    );
    expect(fast.frames.map((f) => f.keyframe)).toEqual(slow.frames.map((f) => f.keyframe));
  });

  it('reports every frame it sends (frameSent), with its packets and time', async () => {
    const { frames, sent } = await firstFrames(10, false);
    const video = sent.filter((f) => f.trackIndex === 0);
    expect(video.length).toBeGreaterThanOrEqual(frames.length);
    expect(video[0]?.keyframe).toBe(true);
    for (const frame of video) expect(frame.packets).toBeGreaterThan(0);
    const times = video.map((f) => f.sentAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
