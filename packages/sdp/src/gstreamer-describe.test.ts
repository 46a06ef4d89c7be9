import { connect } from 'node:net';
import { hasTools, requireTools, startGstRtspServer, type GstMount, type GstRtspServer } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSdp } from './session.js';
import { readFixture } from './test-fixtures.js';
import { resolveTrackFormat, type TrackFormat } from './track-format.js';

/** 64 KiB: a DESCRIBE answer from the fixture server is under 2 KiB. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Sends DESCRIBE and returns the SDP body (a test helper; the real client lives in @camgate/rtsp). */
function describeMount(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`DESCRIBE ${url} timed out`)));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`DESCRIBE ${url}: connection closed before the SDP`)));
    socket.on('connect', () => {
      socket.write(
        `DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\nUser-Agent: camgate-test\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > MAX_RESPONSE_BYTES) socket.destroy(new Error('DESCRIBE answer too large'));
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? NaN);
      if (!head.startsWith('RTSP/1.0 200') || !Number.isSafeInteger(length)) {
        socket.destroy(new Error(`unexpected DESCRIBE answer: ${head.split('\r\n')[0]}`));
      } else if (received.length >= end + 4 + length) {
        socket.end();
        resolve(received.subarray(end + 4, end + 4 + length).toString('utf8'));
      }
    });
  });
}

/** What must not change between GStreamer versions: codec, payload type, clock, parameter sets present. */
function shape(format: TrackFormat): string {
  switch (format.codec) {
    case 'h264':
      return `h264 pt${format.payloadType} ${format.clockRate} mode${format.packetizationMode} sps=${format.sps !== undefined} pps=${format.pps !== undefined}`;
    case 'h265':
      return `h265 pt${format.payloadType} ${format.clockRate} vps=${format.vps !== undefined} sps=${format.sps !== undefined} pps=${format.pps !== undefined}`;
    case 'aac':
      return `aac pt${format.payloadType} ${format.clockRate}/${format.channels} ${format.sizeLength}/${format.indexLength}/${format.indexDeltaLength}`;
    case 'aac-latm':
    case 'pcma':
    case 'pcmu':
    case 'l16':
    case 'opus':
    case 'unsupported':
      return format.codec;
  }
}

const shapes = (text: string) => parseSdp(text).medias.map((media) => shape(resolveTrackFormat(media)));

describe("GStreamer RTSP server's SDP", () => {
  let server: GstRtspServer | undefined;

  beforeAll(async () => {
    if (hasTools('gst-rtsp-server')) server = await startGstRtspServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const mounts: Array<[GstMount, string[]]> = [
    ['h264aac', ['h264 pt96 90000 mode1 sps=true pps=true', 'aac pt97 48000/2 13/3/3']],
    ['h264', ['h264 pt96 90000 mode1 sps=true pps=true']],
    ['h265', ['h265 pt96 90000 vps=true sps=true pps=true']],
  ];
  for (const [mount, want] of mounts) {
    it(`/${mount} parses like the committed testdata/gstreamer-${mount}.sdp`, async (ctx) => {
      requireTools(ctx, 'gst-rtsp-server');
      const live = await describeMount(server!.url(mount));
      expect(shapes(live)).toEqual(want);
      expect(shapes(readFixture(`gstreamer-${mount}.sdp`))).toEqual(want);
    });
  }
});
