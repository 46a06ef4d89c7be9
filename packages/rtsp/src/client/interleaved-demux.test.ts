import { createHash } from 'node:crypto';
import { buildRtpPacket } from '@camgate/rtp';
import { describe, expect, it } from 'vitest';
import type { Frame } from './frame.js';
import { InterleavedDemux } from './interleaved-demux.js';
import { makeRecording, receivePath } from './test-recording.js';
import type { TrackReceiver } from './track-receiver.js';

/**
 * What a consumer that copies inside its listener keeps of a frame: its fields and a digest of its
 * bytes. Times are relative to the track's first frame (the session clock starts at a wall time).
 */
function keep(frames: string[]) {
  const first = new Map<number, number>();
  return (frame: Frame) => {
    const origin = first.get(frame.trackId) ?? frame.pts;
    first.set(frame.trackId, origin);
    const digest = createHash('sha1').update(frame.data).digest('hex');
    frames.push(`${frame.trackId} ${frame.dts - origin} ${frame.pts - origin} ${frame.keyframe} ${digest}`);
  };
}

describe('InterleavedDemux on the benchmark recording (1080p, 4 Mbit/s, H.264 + AAC)', () => {
  const recording = makeRecording(4);

  it('turns every byte into the frames the camera sent, without errors, through one reused read buffer', () => {
    const frames: Frame[] = [];
    const { read, receivers, demux } = receivePath([recording.video, recording.audio], (f) =>
      frames.push({ ...f, data: new Uint8Array(f.data) }),
    );
    for (const chunk of recording.chunks) read(chunk);

    expect(receivers[0]?.track).toMatchObject({ width: 1920, height: 1080, codecString: 'avc1.4d4028' });
    const video = frames.filter((f) => f.trackId === 0);
    const audio = frames.filter((f) => f.trackId === 1);
    // The marker bit ends each access unit: every frame is out as soon as its last packet is in.
    expect(video.length).toBe(recording.videoFrames);
    expect(audio.length).toBe(recording.audioFrames);
    expect(video.filter((f) => f.keyframe)).toHaveLength(2);
    expect(video.every((f, i) => i === 0 || f.dts > (video[i - 1] as Frame).dts)).toBe(true);
    // Every video frame is whole: its length prefixes add up, its first NAL unit is SPS (IDR) or a P slice.
    for (const f of video) {
      const view = Buffer.from(f.data);
      let at = 0;
      while (at < view.length) at += 4 + view.readUInt32BE(at);
      expect(at).toBe(view.length);
      expect((view[4] as number) & 0x1f).toBe(f.keyframe ? 7 : 1);
    }
    expect(receivers.map((r) => r.stats.errors)).toEqual([{}, {}]);
    expect(demux.unassigned).toBe(0);
    expect(recording.bytes / 4).toBeGreaterThan(500_000); // about 4.1 Mbit/s on the wire
  });

  it.for([
    ['1400-byte reads (frame headers and payloads cut everywhere)', 1400],
    ['4-byte reads', 4],
    ['reads of 1 to 64 KiB', 0],
  ] as const)('yields the same frames, byte for byte, with %s', ([, size]) => {
    const stream = Buffer.concat(recording.chunks);
    const expected: string[] = [];
    const whole = receivePath([recording.video, recording.audio], keep(expected));
    for (const chunk of recording.chunks) whole.read(chunk);

    const got: string[] = [];
    const path = receivePath([recording.video, recording.audio], keep(got));
    let seed = 7;
    for (let at = 0; at < stream.length;) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      const n = size > 0 ? size : 1 + (seed % (64 * 1024));
      path.read(stream.subarray(at, at + n));
      path.readBuffer.fill(0xa5); // whatever still pointed into the read buffer now reads garbage
      at += n;
    }
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  });
});

describe('InterleavedDemux routing', () => {
  /** A stand-in receiver recording which of its methods got what. */
  function fakeReceiver(calls: string[], name: string): TrackReceiver {
    return {
      pushRtp: (data: Uint8Array) => calls.push(`${name} rtp ${data.length}`),
      pushRtcp: (data: Uint8Array) => calls.push(`${name} rtcp ${data.length}`),
    } as unknown as TrackReceiver;
  }

  it('sends each channel to its track, RTP or RTCP; counts channels never set up; first route wins', () => {
    const calls: string[] = [];
    const demux = new InterleavedDemux();
    demux.route(fakeReceiver(calls, 'video'), [0, 1]);
    demux.route(fakeReceiver(calls, 'audio'), [1, 3]); // a camera that answered with channel 1 twice
    demux.route(fakeReceiver(calls, 'bogus'), [300, -1]); // out of range: ignored
    const rtp = buildRtpPacket(
      { marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1 },
      new Uint8Array(4),
    );
    for (const channel of [0, 1, 3, 2, 255]) demux.push(channel, rtp);
    expect(calls).toEqual(['video rtp 16', 'video rtcp 16', 'audio rtcp 16']);
    expect(demux.unassigned).toBe(2);
    expect(demux.lastDataAt).toBeGreaterThan(0);

    demux.clear();
    demux.push(0, rtp);
    expect(calls).toHaveLength(3);
    expect(demux.unassigned).toBe(3);
  });
});
