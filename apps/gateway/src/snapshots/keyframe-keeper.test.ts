import { EventEmitter } from 'node:events';
import type { Frame, RtspSession, Track } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { keyframeAnnexB, KeyframeKeeper, MAX_KEYFRAME_WAITERS, type Keyframe } from './keyframe-keeper.js';

/** NAL units behind 4-byte lengths, as the RTSP session delivers video. */
function lengthPrefixed(...nals: number[][]): Uint8Array {
  return new Uint8Array(nals.flatMap((nal) => [0, 0, 0, nal.length, ...nal]));
}

function annexB(...nals: number[][]): number[] {
  return nals.flatMap((nal) => [0, 0, 0, 1, ...nal]);
}

const H264_SPS = [0x67, 0x42, 0xc0, 0x1e];
const H264_PPS = [0x68, 0xce, 0x3c, 0x80];
const H264_IDR = [0x65, 0x88, 0x84];
const H265_VPS = [0x40, 0x01, 0x0c];
const H265_SPS = [0x42, 0x01, 0x01];
const H265_PPS = [0x44, 0x01, 0xc1];
const H265_IDR = [0x26, 0x01, 0xaf];

describe('keyframeAnnexB', () => {
  it.each([
    {
      what: 'H.264 with its parameter sets in front: as it is',
      codec: 'h264' as const,
      data: lengthPrefixed(H264_SPS, H264_PPS, H264_IDR),
      sets: [H264_SPS, H264_PPS],
      expected: annexB(H264_SPS, H264_PPS, H264_IDR),
    },
    {
      what: 'H.264 without them: the track’s go in front',
      codec: 'h264' as const,
      data: lengthPrefixed(H264_IDR),
      sets: [H264_SPS, H264_PPS],
      expected: annexB(H264_SPS, H264_PPS, H264_IDR),
    },
    {
      what: 'H.264 with the SPS only: the PPS is added',
      codec: 'h264' as const,
      data: lengthPrefixed(H264_SPS, H264_IDR),
      sets: [H264_SPS, H264_PPS],
      expected: annexB(H264_SPS, H264_PPS, H264_IDR),
    },
    {
      what: 'H.265 with VPS, SPS and PPS: as it is',
      codec: 'h265' as const,
      data: lengthPrefixed(H265_VPS, H265_SPS, H265_PPS, H265_IDR),
      sets: [H265_VPS, H265_SPS, H265_PPS],
      expected: annexB(H265_VPS, H265_SPS, H265_PPS, H265_IDR),
    },
    {
      what: 'H.265 without them',
      codec: 'h265' as const,
      data: lengthPrefixed(H265_IDR),
      sets: [H265_VPS, H265_SPS, H265_PPS],
      expected: annexB(H265_VPS, H265_SPS, H265_PPS, H265_IDR),
    },
    {
      what: 'a truncated last NAL unit: left out',
      codec: 'h264' as const,
      data: new Uint8Array([...lengthPrefixed(H264_SPS, H264_PPS, H264_IDR), 0, 0, 0, 9, 0x41]),
      sets: [],
      expected: annexB(H264_SPS, H264_PPS, H264_IDR),
    },
  ])('$what', ({ codec, data, sets, expected }) => {
    const keyframe: Keyframe = {
      codec,
      data,
      parameterSets: sets.map((s) => new Uint8Array(s)),
      sequence: 1,
      wallclock: 0,
    };
    expect([...keyframeAnnexB(keyframe)]).toEqual(expected);
  });
});

/** The part of an RtspSession the keeper uses: its tracks and events. */
class FakeSession extends EventEmitter {
  tracks: Track[] = [
    {
      id: 0,
      kind: 'audio',
      codec: 'aac',
      codecString: 'mp4a.40.2',
      clockRate: 16000,
      config: {},
    },
    {
      id: 1,
      kind: 'video',
      codec: 'h264',
      codecString: 'avc1.42c01e',
      clockRate: 90000,
      width: 640,
      height: 360,
      config: { sps: new Uint8Array(H264_SPS), pps: new Uint8Array(H264_PPS) },
    },
  ];

  frame(trackId: number, keyframe: boolean, data = lengthPrefixed(H264_SPS, H264_PPS, H264_IDR)): Frame {
    const frame: Frame = { trackId, dts: 0, pts: 0, keyframe, discontinuity: false, wallclock: 1234, data };
    this.emit('frame', frame);
    return frame;
  }
}

function attached(): { keeper: KeyframeKeeper; session: FakeSession } {
  const keeper = new KeyframeKeeper();
  const session = new FakeSession();
  keeper.attach(session as unknown as RtspSession);
  return { keeper, session };
}

describe('KeyframeKeeper', () => {
  it('keeps a copy of the last video keyframe, ignoring other frames and tracks', () => {
    const { keeper, session } = attached();
    session.frame(0, true); // audio: every frame is a "keyframe"
    session.frame(1, false);
    expect(keeper.latest).toBeUndefined();
    const first = session.frame(1, true);
    expect(keeper.latest?.data).toEqual(first.data);
    expect(keeper.latest?.data.buffer).not.toBe(first.data.buffer);
    expect(keeper.latest).toMatchObject({ codec: 'h264', width: 640, height: 360, wallclock: 1234 });
    expect(keeper.latest?.parameterSets.length).toBe(2);
    const sequence = keeper.latest?.sequence ?? 0;
    session.frame(1, false);
    const second = session.frame(1, true, lengthPrefixed(H264_IDR));
    expect(keeper.latest?.data).toEqual(second.data);
    expect(keeper.latest?.sequence).toBeGreaterThan(sequence);
  });

  // Design decision 1 (the frame contract): a frame's data is the receive path's again once the
  // listeners have returned; what the keeper keeps must not change with it.
  it('keeps the keyframe as it was when the session reuses the frame’s memory', () => {
    const { keeper, session } = attached();
    const slab = lengthPrefixed(H264_SPS, H264_PPS, H264_IDR);
    const original = [...slab];
    session.frame(1, true, slab);
    slab.fill(0xee); // the next frames' bytes, written where this one was
    expect([...(keeper.latest?.data ?? [])]).toEqual(original);
  });

  it.each([
    { what: 'read through latest', take: (keeper: KeyframeKeeper) => Promise.resolve(keeper.latest) },
    { what: 'given to a waiter', take: (keeper: KeyframeKeeper) => keeper.next(10_000) },
  ])('never overwrites a keyframe $what: the next keyframe goes elsewhere', async ({ take }) => {
    const { keeper, session } = attached();
    const waiting = take(keeper);
    session.frame(1, true, lengthPrefixed(H264_SPS, H264_PPS, H264_IDR));
    const handedOut = (await waiting) ?? keeper.latest;
    const bytes = [...(handedOut?.data ?? [])];
    expect(bytes.length).toBeGreaterThan(0);
    // Smaller and larger keyframes after it, as a snapshot waits for a decode slot.
    session.frame(1, true, lengthPrefixed([0x65, 0x11]));
    session.frame(1, true, lengthPrefixed(H264_SPS, H264_PPS, H264_IDR, H264_IDR, H264_IDR));
    expect([...(handedOut?.data ?? [])]).toEqual(bytes);
    expect(keeper.latest?.sequence).toBeGreaterThan(handedOut?.sequence ?? 0);
    expect(keeper.latest?.data.buffer).not.toBe(handedOut?.data.buffer);
  });

  it('hands out one Keyframe per keyframe, however often it is asked for', () => {
    const { keeper, session } = attached();
    session.frame(1, true);
    expect(keeper.latest).toBe(keeper.latest);
  });

  it('attached with listen: false, takes the frames its caller hands it', () => {
    const keeper = new KeyframeKeeper();
    const session = new FakeSession();
    keeper.attach(session as unknown as RtspSession, { listen: false });
    const frame = session.frame(1, true);
    expect(session.listenerCount('frame')).toBe(0);
    expect(keeper.latest).toBeUndefined();
    keeper.push(frame);
    expect(keeper.latest?.data).toEqual(frame.data);
    keeper.detach();
    expect(session.listenerCount('track-change')).toBe(0);
  });

  it('forgets the last keyframe on reset and when the next session is attached', () => {
    const { keeper, session } = attached();
    session.frame(1, true);
    keeper.reset();
    expect(keeper.latest).toBeUndefined();
    session.frame(1, true);
    keeper.attach(new FakeSession() as unknown as RtspSession);
    expect(keeper.latest).toBeUndefined();
    // The old session is no longer heard.
    session.frame(1, true);
    expect(keeper.latest).toBeUndefined();
  });

  it('takes the new parameter sets of a track change', () => {
    const { keeper, session } = attached();
    const changed = { ...session.tracks[1], width: 1280, height: 720 } as Track;
    session.frame(1, true);
    session.emit('track-change', changed);
    session.frame(1, true);
    expect(keeper.latest).toMatchObject({ width: 1280, height: 720 });
  });

  it('next() resolves with the next keyframe, or undefined after the wait, on abort, and on close', async () => {
    const { keeper, session } = attached();
    const waiting = keeper.next(10_000);
    const frame = session.frame(1, true);
    expect((await waiting)?.data).toEqual(frame.data);
    expect(await keeper.next(5)).toBeUndefined();
    const aborted = new AbortController();
    const abortedWait = keeper.next(10_000, aborted.signal);
    aborted.abort();
    expect(await abortedWait).toBeUndefined();
    const closing = keeper.next(10_000);
    keeper.close();
    expect(await closing).toBeUndefined();
  });

  it(`answers at once beyond ${MAX_KEYFRAME_WAITERS} waiters`, async () => {
    const { keeper } = attached();
    const waits = Array.from({ length: MAX_KEYFRAME_WAITERS }, () => keeper.next(10_000));
    expect(await keeper.next(10_000)).toBeUndefined();
    keeper.close();
    expect((await Promise.all(waits)).every((k) => k === undefined)).toBe(true);
  });
});
