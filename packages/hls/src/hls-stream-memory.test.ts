import { describe, expect, it, onTestFinished } from 'vitest';
import { HlsStream } from './hls-stream.js';
import { AUDIO_TRACK, VIDEO_TRACK, syntheticFrames } from './test-frames.js';
import { bytesOf, listedSegments } from './test-published-media.js';
import type { HlsFrame, HlsResponse } from './types.js';

/**
 * A camera whose frames are the size of a real one's, scaled down 5x (keyframes 20 KB, P-frames
 * 3.6 KB, AAC 340 bytes), their bytes a pattern of their own (a mix-up of two frames shows).
 */
function frames(seconds: number, start: number, dropAudio?: { from: number; to: number }): HlsFrame[] {
  return syntheticFrames({ seconds, start, wallclockStart: Date.UTC(2026, 10, 23, 12, 0, start) })
    .filter(
      (f) =>
        f.kind === 'video' ||
        dropAudio === undefined ||
        f.dts < dropAudio.from * 48_000 ||
        f.dts >= dropAudio.to * 48_000,
    )
    .map((frame) => {
      const size = frame.kind === 'audio' ? 340 : frame.keyframe ? 20_000 : 3_600;
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (frame.dts * 31 + i * 7) & 0xff;
      // Video stays length-prefixed NAL units: the stream's own NAL units, then a filler NAL unit.
      data.set(frame.data);
      if (frame.kind === 'video') {
        new DataView(data.buffer).setUint32(frame.data.length, size - frame.data.length - 4);
        data[frame.data.length + 4] = 0x0c; // filler data (nal_unit_type 12)
      }
      return { ...frame, data };
    });
}

function newStream(): HlsStream {
  const stream = new HlsStream({ startMsn: 1000 });
  stream.setTrack(VIDEO_TRACK);
  stream.setTrack(AUDIO_TRACK);
  onTestFinished(() => stream.close());
  return stream;
}

/** Every part and complete segment the stream lists now, by URI, with its bytes. */
async function published(stream: HlsStream): Promise<Map<string, Buffer>> {
  const media = new Map<string, Buffer>();
  for (const name of ['video', 'audio']) {
    for (const segment of listedSegments((await stream.handle(`${name}.m3u8`)).body as string)) {
      const uris = [...segment.parts.filter((p) => !p.gap).map((p) => p.uri), segment.uri ?? ''];
      for (const uri of uris.filter((u) => u !== '' && !(segment.gap && u === segment.uri))) {
        const response = await stream.handle(uri);
        media.set(uri, Buffer.from(bytesOf(response)));
        response.release?.();
      }
    }
  }
  return media;
}

describe('HlsStream memory', () => {
  it('copies what it keeps of a frame: a caller may reuse frame.data once push returned', async () => {
    const fresh = newStream();
    const reused = newStream();
    // One buffer for every frame, overwritten after each push (the RTSP client's read buffer).
    const buffer = new Uint8Array(64 * 1024);
    const feed = (input: readonly HlsFrame[]) => {
      for (const frame of input) {
        fresh.push(frame);
        buffer.set(frame.data);
        reused.push({ ...frame, data: buffer.subarray(0, frame.data.length) });
        buffer.fill(0xee);
      }
    };
    // Video and audio, an audio dropout (GAP parts), a reconnect (discontinuity, first GOP again).
    feed(frames(12, 0, { from: 5, to: 7.5 }));
    for (const stream of [fresh, reused]) stream.markDiscontinuity();
    feed(frames(6, 100).slice(3)); // starts before a keyframe: dropped until one
    const expected = await published(fresh);
    const actual = await published(reused);
    expect(expected.size).toBeGreaterThan(50);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [uri, bytes] of expected) expect(actual.get(uri)?.equals(bytes), uri).toBe(true);
  });

  it('a segment being sent keeps its bytes after it expired and its memory could be reused', async () => {
    const stream = newStream();
    for (const frame of frames(30, 0)) stream.push(frame);
    const first = listedSegments((await stream.handle('video.m3u8')).body as string)[0];
    const response = await stream.handle(first?.uri ?? '');
    const body = response.body as readonly Uint8Array[];
    const copy = Buffer.concat(body);
    // Four minutes more arrive at once: the window's media-time bound expires the segment, and the
    // memory of everything since is reused many times over.
    for (let s = 30; s < 270; s += 10) for (const frame of frames(10, s)) stream.push(frame);
    expect((await stream.handle(first?.uri ?? '')).status).toBe(404);
    expect(Buffer.concat(body).equals(copy)).toBe(true);
    response.release?.();
    response.release?.(); // twice: harmless
  });

  it('reuses its memory: a long run reserves no more than the window needs (x 1.2) and does not grow', async () => {
    const stream = newStream();
    const reserved: number[] = [];
    let allocated = 0;
    for (let s = 0; s < 600; s += 10) {
      // The window is full after a minute: from then on, chunks are reused, not allocated.
      if (s === 60) allocated = stream.stats.chunksAllocated;
      for (const frame of frames(10, s)) stream.push(frame);
      // Requests come and go meanwhile, each released once sent.
      const responses: HlsResponse[] = [];
      for (const segment of listedSegments((await stream.handle('video.m3u8')).body as string).slice(-3))
        responses.push(await stream.handle(segment.uri ?? segment.parts[0]?.uri ?? ''));
      for (const response of responses) response.release?.();
      if (s >= 60) reserved.push(stream.stats.bytesReserved);
    }
    const { bytesHeld, bytesReserved } = stream.stats;
    expect(bytesReserved / bytesHeld).toBeLessThan(1.2);
    expect(Math.max(...reserved)).toBeLessThanOrEqual(Math.min(...reserved) * 1.15);
    expect(stream.stats.chunksAllocated - allocated).toBeLessThanOrEqual(2);
    stream.close();
    expect(stream.stats.bytesHeld).toBe(0);
    expect(stream.stats.bytesReserved).toBe(0);
  });

  it('close() keeps what responses still send, and frees it when they release it', async () => {
    const stream = newStream();
    for (const frame of frames(10, 0)) stream.push(frame);
    const segment = listedSegments((await stream.handle('video.m3u8')).body as string)[0];
    const response = await stream.handle(segment?.uri ?? '');
    const copy = Buffer.concat(response.body as readonly Uint8Array[]);
    stream.close();
    expect(stream.stats.bytesReserved).toBeGreaterThan(0);
    expect(Buffer.concat(response.body as readonly Uint8Array[]).equals(copy)).toBe(true);
    response.release?.();
    expect(stream.stats.bytesReserved).toBe(0);
  });
});
