import { readFileSync } from 'node:fs';
import {
  joinLengthPrefixed,
  parseAdtsHeader,
  splitAccessUnits,
  splitAnnexB,
  writeAudioSpecificConfig,
} from '@camgate/codecs';

/**
 * Real encoded media for tests: the codec test vectors of packages/codecs/testdata (made by
 * ffmpeg with libx264, libx265 and its AAC encoder; see the README there), read by path, and
 * turned into samples the way the RTSP client delivers them (shared by the fmp4 and hls tests): video access units as 4-byte
 * length-prefixed NAL units (parameter sets in front of key frames, as in the stream), audio as
 * raw frames.
 */

const TESTDATA = new URL('../../codecs/testdata/', import.meta.url);

export function codecsTestdata(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, TESTDATA)));
}

/**
 * A sample with its decode and presentation time, in the track's timescale; the other fields are
 * those of @camgate/fmp4's Sample, so it can be written as is.
 */
export interface TimedSample {
  dts: number;
  pts: number;
  duration: number;
  /** pts - dts. */
  compositionOffset: number;
  sync: boolean;
  /** Video: 4-byte length-prefixed NAL units; audio: one raw frame. */
  data: Uint8Array;
}

/** The codec configuration of a test stream, in the shape of @camgate/fmp4's TrackConfig. */
export type TestTrackConfig =
  | { kind: 'video'; codec: 'h264'; sps: Uint8Array; pps: Uint8Array }
  | { kind: 'video'; codec: 'h265'; vps: Uint8Array; sps: Uint8Array; pps: Uint8Array }
  | { kind: 'audio'; codec: 'aac'; audioSpecificConfig: Uint8Array };

export interface EncodedTrack {
  config: TestTrackConfig;
  timescale: number;
  samples: TimedSample[];
}

/**
 * An H.264 or H.265 test stream (`h264-main-bf2`, `h265-main`, ...) at 90 kHz with the encoder's
 * timestamps from NAME.packets.csv, shifted so that the first DTS is 0. The encoder's DTS is never
 * after the PTS; with `negativeCompositionOffsets`, every DTS moves later by the first sample's
 * composition offset, so that the first sample has PTS = DTS and B-frames get negative offsets
 * (the CMAF way, trun version 1, with no edit list).
 */
export function videoTestStream(name: string, options: { negativeCompositionOffsets?: boolean } = {}): EncodedTrack {
  const codec = name.startsWith('h265') ? 'h265' : 'h264';
  const stream = codecsTestdata(`${name}.${codec}`);
  const units = splitAccessUnits(stream, codec);
  const timing = readFileSync(new URL(`${name}.packets.csv`, TESTDATA), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dts, flags] = line.split(',');
      return { pts: Number(pts), dts: Number(dts), key: flags?.startsWith('K') === true };
    });
  if (units.length !== timing.length) {
    throw new Error(`${name}: ${units.length} access units but ${timing.length} packets`);
  }
  const { pts: firstPts, dts: firstDts } = timing[0] as { pts: number; dts: number };
  const shift = options.negativeCompositionOffsets === true ? firstPts - firstDts : 0;
  const samples = units.map((nals, i): TimedSample => {
    const { pts, dts: encoderDts, key } = timing[i] as { pts: number; dts: number; key: boolean };
    const next = timing[i + 1] ?? timing[i - 1];
    const duration = Math.abs((next as { dts: number }).dts - encoderDts);
    const dts = encoderDts + shift;
    return {
      dts: dts - firstDts - shift,
      pts: pts - firstDts - shift,
      duration,
      compositionOffset: pts - dts,
      sync: key,
      data: joinLengthPrefixed(nals),
    };
  });
  const nal = (type: number) => firstNal(stream, codec, type);
  const config: TestTrackConfig =
    codec === 'h264'
      ? { kind: 'video', codec, sps: nal(7), pps: nal(8) }
      : { kind: 'video', codec, vps: nal(32), sps: nal(33), pps: nal(34) };
  return { config, timescale: 90000, samples };
}

/** An ADTS test stream as raw AAC frames, 1024 ticks each at the sample rate, with the AudioSpecificConfig of its header. */
export function aacTestStream(name: string): EncodedTrack {
  const stream = codecsTestdata(`${name}.adts`);
  const samples: TimedSample[] = [];
  let config: TestTrackConfig | undefined;
  let timescale = 0;
  for (let at = 0; at < stream.length;) {
    const header = parseAdtsHeader(stream, at);
    if (config === undefined) {
      timescale = header.sampleRate;
      config = {
        kind: 'audio',
        codec: 'aac',
        audioSpecificConfig: writeAudioSpecificConfig({
          objectType: header.objectType,
          sampleRate: header.sampleRate,
          channelConfiguration: header.channelConfiguration,
        }),
      };
    }
    const dts = samples.length * 1024;
    const data = stream.subarray(at + header.headerLength, at + header.frameLength);
    samples.push({ dts, pts: dts, duration: 1024, compositionOffset: 0, sync: true, data });
    at += header.frameLength;
  }
  if (config === undefined) throw new Error(`${name}: no ADTS frames`);
  return { config, timescale, samples };
}

function firstNal(stream: Uint8Array, codec: 'h264' | 'h265', type: number): Uint8Array {
  const nal = splitAnnexB(stream).find((n) =>
    codec === 'h264' ? ((n[0] as number) & 0x1f) === type : (((n[0] as number) >> 1) & 0x3f) === type,
  );
  if (nal === undefined) throw new Error(`no NAL unit of type ${type}`);
  return nal.slice();
}
