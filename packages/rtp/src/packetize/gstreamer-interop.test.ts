// Cross-check against GStreamer's payloaders (rtph264pay, rtph265pay, rtpmp4gpay):
// GStreamer encodes a short stream and tees it, so one branch hands us the
// encoder's access units and the other its payloader's RTP packets. We packetize
// the same access units and must produce the same payloads and marker bits.
import { requireTools, runProcess } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { packetizeAac } from './aac.js';
import { packetizeH264 } from './h264.js';
import { packetizeH265 } from './h265.js';
import { RTP_HEADER_BYTES } from './rtp-header.js';
import type { RtpPayload } from './rtp-payload.js';

/** Runs a pipeline to EOS and prints every buffer its named appsinks received, as hex. */
const CAPTURE_SCRIPT = `
import json, sys, gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst
Gst.init(None)
pipeline = Gst.parse_launch(sys.argv[1])
pipeline.set_state(Gst.State.PLAYING)
msg = pipeline.get_bus().timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
error = 'timeout' if msg is None else (msg.parse_error()[0].message if msg.type == Gst.MessageType.ERROR else None)
buffers = {}
for name in sys.argv[2:]:
    sink, out = pipeline.get_by_name(name), []
    while True:
        sample = sink.emit('try-pull-sample', 0)
        if sample is None:
            break
        buf = sample.get_buffer()
        out.append(buf.extract_dup(0, buf.get_size()).hex())
    buffers[name] = out
pipeline.set_state(Gst.State.NULL)
print(json.dumps({'error': error, 'buffers': buffers}))
`;

const SINK = 'sync=false wait-on-eos=false';

/** The encoder's output ("au") and the payloader's packets ("rtp") for the same stream. */
async function capture(python: string, encoder: string, payloader: string): Promise<{ au: Buffer[]; rtp: Buffer[] }> {
  const pipeline = `${encoder} ! tee name=t t. ! queue ! appsink name=au ${SINK} t. ! queue ! ${payloader} ! appsink name=rtp ${SINK}`;
  const result = await runProcess(python, ['-c', CAPTURE_SCRIPT, pipeline, 'au', 'rtp'], { timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  const { error, buffers } = JSON.parse(result.stdout) as { error: string | null; buffers: Record<string, string[]> };
  expect(error).toBeNull();
  const decode = (name: string) => (buffers[name] ?? []).map((h) => Buffer.from(h, 'hex'));
  return { au: decode('au'), rtp: decode('rtp') };
}

/** NAL units of an Annex-B access unit (H.264 §B.1.1): split at 00 00 01, dropping trailing zero bytes. */
function splitAnnexB(au: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < au.length; i++) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, k) => {
    let end = k + 1 < starts.length ? (starts[k + 1] as number) - 3 : au.length;
    while (end > start && au[end - 1] === 0) end--;
    return au.subarray(start, end);
  });
}

interface Observed {
  payload: string;
  marker: boolean;
}

/** GStreamer's packets as payload + marker; it adds no CSRCs, extensions or padding here. */
function fromRtp(packets: readonly Buffer[]): Observed[] {
  return packets.map((p) => {
    expect(p[0]).toBe(0x80);
    return { payload: p.subarray(RTP_HEADER_BYTES).toString('hex'), marker: ((p[1] as number) & 0x80) !== 0 };
  });
}

const ours = (packets: readonly RtpPayload[]): Observed[] =>
  packets.map((p) => ({ payload: Buffer.from(p.payload).toString('hex'), marker: p.marker }));

const VIDEO = 'videotestsrc num-buffers=20 ! video/x-raw,width=320,height=240,framerate=25/1';

describe('packetizers against GStreamer', () => {
  // GStreamer's mtu is the whole RTP packet: maxPayloadSize + 12.
  const modes = [
    { mtu: 1412, gstMode: 'none', aggregate: false },
    { mtu: 1412, gstMode: 'max-stap', aggregate: true },
    { mtu: 312, gstMode: 'none', aggregate: false },
    { mtu: 312, gstMode: 'max-stap', aggregate: true },
  ];

  it.for(modes)('H.264: rtph264pay mtu=$mtu aggregate-mode=$gstMode', async ({ mtu, gstMode, aggregate }, ctx) => {
    const { 'gst-rtsp-server': python } = requireTools(ctx, 'gst-rtsp-server');
    const { au, rtp } = await capture(
      python,
      `${VIDEO} ! x264enc key-int-max=10 speed-preset=ultrafast ! video/x-h264,stream-format=byte-stream,alignment=au`,
      `rtph264pay mtu=${mtu} aggregate-mode=${gstMode}`,
    );
    expect(au).toHaveLength(20);
    const mine = au.flatMap((a) => ours(packetizeH264(splitAnnexB(a), { maxPayloadSize: mtu - 12, aggregate })));
    const theirs = fromRtp(rtp);
    // The stream has parameter sets, SEI, fragmented IDRs and smaller slices.
    expect(theirs.some((p) => p.payload.startsWith('7c85'))).toBe(true);
    if (aggregate) expect(theirs.some((p) => p.payload.startsWith('78'))).toBe(true);
    expect(mine).toEqual(theirs);
  });

  it.for(modes.map((m) => ({ ...m, gstMode: m.gstMode === 'max-stap' ? 'max' : m.gstMode })))(
    'H.265: rtph265pay mtu=$mtu aggregate-mode=$gstMode',
    async ({ mtu, gstMode, aggregate }, ctx) => {
      const { 'gst-rtsp-server': python } = requireTools(ctx, 'gst-rtsp-server');
      const { au, rtp } = await capture(
        python,
        `${VIDEO} ! x265enc key-int-max=10 speed-preset=ultrafast ! video/x-h265,stream-format=byte-stream,alignment=au`,
        `rtph265pay mtu=${mtu} aggregate-mode=${gstMode}`,
      );
      expect(au).toHaveLength(20);
      const mine = au.flatMap((a) => ours(packetizeH265(splitAnnexB(a), { maxPayloadSize: mtu - 12, aggregate })));
      const theirs = fromRtp(rtp);
      expect(theirs.some((p) => p.payload.startsWith('6201'))).toBe(true); // FU of an IDR_W_RADL or CRA
      if (aggregate) expect(theirs.some((p) => p.payload.startsWith('6001'))).toBe(true);
      expect(mine).toEqual(theirs);
    },
  );

  it.for([{ mtu: 1412 }, { mtu: 212 }])('AAC-hbr: rtpmp4gpay mtu=$mtu', async ({ mtu }, ctx) => {
    const { 'gst-rtsp-server': python } = requireTools(ctx, 'gst-rtsp-server');
    const { au, rtp } = await capture(
      python,
      'audiotestsrc num-buffers=12 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ' +
        '! voaacenc bitrate=128000 ! audio/mpeg,mpegversion=4,stream-format=raw',
      `rtpmp4gpay mtu=${mtu}`,
    );
    expect(au.length).toBeGreaterThanOrEqual(12);
    // rtpmp4gpay sends one AU per packet (fragmented when it does not fit).
    const packets = packetizeAac(
      au.map((data, i) => ({ data, timestamp: i * 1024 })),
      { maxPayloadSize: mtu - 12, maxAusPerPacket: 1 },
    );
    expect(ours(packets)).toEqual(fromRtp(rtp));
    // GStreamer rounds nanoseconds to ticks, so its timestamps may be off by one.
    const timestamps = rtp.map((p) => p.readUInt32BE(4));
    for (const [i, packet] of packets.entries()) {
      expect(Math.abs(((timestamps[i]! - timestamps[0]!) >>> 0) - packet.timestamp)).toBeLessThanOrEqual(1);
    }
  });
});
