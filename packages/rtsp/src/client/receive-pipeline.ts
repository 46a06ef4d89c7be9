import type { SessionClock } from '@camgate/rtp';
import { MessageReader } from '../message/message-reader.js';
import type { Frame } from './frame.js';
import { describeTrack, type SupportedFormat } from './track.js';
import { TrackReceiver } from './track-receiver.js';

/**
 * The TCP receive path of a session without its socket: interleaved byte
 * stream -> message reader -> one TrackReceiver per track -> frames. Used by the
 * benchmark and its test; RtspSession wires the same parts to a socket.
 */
export function createReceivePipeline(formats: readonly SupportedFormat[], onFrame: (frame: Frame) => void) {
  const clock: SessionClock = { startMs: performance.now(), wallStartMs: Date.now() };
  const receivers = formats.map(
    (format, id) =>
      new TrackReceiver(
        describeTrack(id, format),
        format,
        clock,
        { onFrame, onTrackChange: () => undefined },
        { reorder: false },
      ),
  );
  const reader = new MessageReader({
    onResponse: () => undefined,
    onRequest: () => undefined,
    onInterleaved: (channel, payload) => {
      const receiver = receivers[channel >> 1];
      if (receiver === undefined) return;
      if ((channel & 1) === 0) receiver.pushRtp(payload, performance.now());
      else receiver.pushRtcp(payload, performance.now());
    },
  });
  return { reader, receivers };
}
