import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayError } from '../errors.js';
import { MAX_STDIN_QUEUE_BYTES, TranscoderProcess, type TranscodedFrame } from './transcoder-process.js';

/**
 * TranscoderProcess against stand-ins for ffmpeg that are real processes (Node scripts): one that
 * reads nothing (its stdin fills up), one that writes H.264 access units, one that gives back what
 * it reads. ffmpeg itself:
 * transcode-interop.test.ts.
 */

const SPS = '674d400de880a0fd80880000030008000003019078a14890';
const PPS = '68ebe0e4b2';
/** An IDR slice with first_mb_in_slice 0: a new access unit. */
const IDR = '6588841000';

const processes: TranscoderProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});

function start(script: string, onFrame: (frame: TranscodedFrame) => void = () => undefined) {
  let exit: (error: GatewayError | undefined) => void = () => undefined;
  const exited = new Promise<GatewayError | undefined>((resolve) => (exit = resolve));
  const process = new TranscoderProcess({
    ffmpeg: globalThis.process.execPath,
    args: ['-e', script],
    onFrame,
    onExit: (error) => exit(error),
  });
  processes.push(process);
  return { process, exited };
}

/** A keyframe as the camera sends it: 4-byte length-prefixed NAL units. */
function keyframe(bytes: number): Uint8Array {
  const nal = new Uint8Array(bytes).fill(0x10);
  nal.set([0x65, 0x88]);
  const data = new Uint8Array(4 + bytes);
  new DataView(data.buffer).setUint32(0, bytes);
  data.set(nal, 4);
  return data;
}

describe('TranscoderProcess', () => {
  it('drops keyframes too once 4 MiB wait for its stdin (the queue stays bounded)', () => {
    // Reads nothing: writes queue up in the gateway.
    const { process } = start('setTimeout(() => {}, 30_000)');
    const frame = keyframe(1024 * 1024);
    const timing = (pts: number) => ({ pts, wallclock: 0, keyframe: true });
    let written = 0;
    for (let i = 0; i < 8; i++) if (process.write(frame, true, timing(i * 3600))) written++;
    // The pipe takes some (64 KiB on Linux); the rest stops at the limit.
    expect(written).toBeLessThanOrEqual(Math.ceil(MAX_STDIN_QUEUE_BYTES / frame.length) + 1);
    expect(written).toBeGreaterThanOrEqual(4);
    expect(process.dropped).toBe(8 - written);
    expect(process.stats.framesIn).toBe(written);
  });

  it('a frame its receiver refuses ends the process with the reason, never an uncaught exception', async () => {
    const au = `00000001${SPS}00000001${PPS}00000001${IDR}`;
    const { process, exited } = start(
      `process.stdout.write(Buffer.from('${au}${au}${au}', 'hex')); setTimeout(() => {}, 30_000)`,
      () => {
        throw new Error('the stream refused it');
      },
    );
    for (let i = 0; i < 3; i++) process.write(keyframe(64), true, { pts: i * 3600, wallclock: 0, keyframe: true });
    const error = await exited;
    expect(error).toMatchObject({ code: 'CAMGATE_ERR_TRANSCODE_FAILED', message: expect.stringContaining('refused') });
  });

  // Design decision 1 (the frame contract): a camera frame's memory is the receive path's again once
  // the 'frame' listeners return, while a write to ffmpeg may wait in the pipe's queue for longer.
  it('writes each frame as it was when written, although its memory is reused at once', async () => {
    const units: Array<TranscodedFrame['unit']> = [];
    let twoUnits: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (twoUnits = resolve));
    // Gives back what it reads: the splitter cuts it into access units again.
    const { process } = start('process.stdin.pipe(process.stdout)', ({ unit }) => {
      if (units.push(unit) === 2) twoUnits();
    });
    // Larger than a pipe holds (64 KiB on Linux): most of each write waits in the queue.
    const idrBytes = 256 * 1024;
    const nals = (fill: number) => [
      Buffer.from(SPS, 'hex'),
      Buffer.from(PPS, 'hex'),
      Object.assign(new Uint8Array(idrBytes).fill(fill), { 0: 0x65, 1: 0x88 }),
    ];
    const slab = new Uint8Array(3 * (4 + idrBytes + 64)); // the session's memory, reused per frame
    for (let i = 0; i < 3; i++) {
      let at = 0;
      for (const nal of nals(0x10 + i)) {
        new DataView(slab.buffer).setUint32(at, nal.length);
        slab.set(nal, at + 4);
        at += 4 + nal.length;
      }
      expect(process.write(slab.subarray(0, at), true, { pts: i * 3600, wallclock: 0, keyframe: true })).toBe(true);
      slab.fill(0); // the next frames' bytes
    }
    await received;
    for (const [i, unit] of units.entries()) {
      expect(unit.nals.map((nal) => Buffer.from(nal))).toEqual(nals(0x10 + i).map((nal) => Buffer.from(nal)));
    }
  });
});
