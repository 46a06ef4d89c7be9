import { createFile, Log, MP4BoxBuffer, type Box, type ISOFile, type Sample as Mp4boxRawSample } from 'mp4box';
import { expect } from 'vitest';

/**
 * mp4box.js (GPAC, pinned 2.4.1) as the independent oracle for what camgate writes: it parses an
 * init segment and fragments the way a player would and reports what it read. Shared by the fmp4
 * and hls tests; testkit may not depend on @camgate/fmp4 (dependencies point one way), so the
 * fragment shape below is structural (what writeFragment takes).
 */

export interface Mp4boxTrack {
  id: number;
  /** RFC 6381 codec string as mp4box builds it from the sample entry (avc1.64001f, mp4a.40.2, Opus). */
  codec: string;
  timescale: number;
  type: string | undefined;
  /** tkhd width/height (integer part of 16.16). */
  trackWidth: number;
  trackHeight: number;
  /** Sample entry width/height (video). */
  width: number | undefined;
  height: number | undefined;
  channelCount: number | undefined;
  sampleRate: number | undefined;
  language: string;
  handlerName: string;
  /** The sample entry box as mp4box parsed it (avcC, hvcC, esds, and unknown child boxes as raw data). */
  sampleEntry: Box;
}

export interface Mp4boxTrun {
  version: number;
  flags: number;
  sampleCount: number;
  dataOffset: number;
  durations: number[];
  sizes: number[];
  sampleFlags: number[];
  compositionOffsets: number[];
}

export interface Mp4boxTraf {
  trackId: number;
  tfhdFlags: number;
  tfdtVersion: number;
  baseMediaDecodeTime: number;
  truns: Mp4boxTrun[];
}

export interface Mp4boxFragment {
  /** File offset of the moof in init + fragments concatenated. */
  start: number;
  sequenceNumber: number;
  trafs: Mp4boxTraf[];
}

export interface Mp4boxSample {
  trackId: number;
  dts: number;
  cts: number;
  duration: number;
  size: number;
  isSync: boolean;
  /** sample_depends_on from the sample flags (1: depends on others, 2: does not). */
  dependsOn: number;
  /** The sample's bytes, read where the trun's data_offset points. */
  data: Uint8Array;
  /** File offset of the sample's bytes. */
  offset: number;
}

export interface Mp4boxInspection {
  majorBrand: string;
  minorVersion: number;
  compatibleBrands: string[];
  isFragmented: boolean;
  movieTimescale: number;
  /** mvhd next_track_ID. */
  nextTrackId: number;
  tracks: Mp4boxTrack[];
  /** trex default_sample_description_index per track id. */
  trexDescriptionIndex: Map<number, number>;
  fragments: Mp4boxFragment[];
  /** Every sample of every fragment, per track id, in decode order. */
  samples: Map<number, Mp4boxSample[]>;
}

/**
 * True when our codec string (codecStringOf) names what mp4box reports for the sample entry.
 * They differ only in case: for hvc1, mp4box.js writes the hexadecimal fields in lower case,
 * where ISO/IEC 14496-15 Annex E.3's examples and Apple use upper case ('hvc1.1.6.L93.B0'); for
 * Opus, mp4box reports the sample entry type 'Opus', where browsers expect 'opus' (hls.js
 * src/utils/codecs.ts: "browsers expect this to be lowercase despite MP4RA says 'Opus'").
 */
export function codecsMatch(ours: string, mp4box: string): boolean {
  return ours.toLowerCase() === mp4box.toLowerCase();
}

/**
 * Parses `init` then each fragment, in order, as one file, and returns what mp4box read: brands,
 * tracks (codec string, timescale, sizes), each moof's boxes and every sample with its bytes.
 * Throws when mp4box reports any error or warning (a box size that does not match its content,
 * an unknown box, a buffer it could not place, ...).
 */
export function inspectWithMp4box(init: Uint8Array, fragments: readonly Uint8Array[] = []): Mp4boxInspection {
  const problems: string[] = [];
  const samples = new Map<number, Mp4boxSample[]>();
  const file: ISOFile = createFile(true); // keepMdatData: samples are read back with their bytes
  file.onError = (module, message) => problems.push(`${module}: ${message}`);
  file.onReady = (info) => {
    for (const track of info.tracks)
      file.setExtractionOptions(track.id, undefined, { nbSamples: Number.MAX_SAFE_INTEGER });
    file.start();
  };
  file.onSamples = (trackId, _user, raw) => {
    const list = samples.get(trackId) ?? [];
    for (const sample of raw) list.push(toSample(sample));
    samples.set(trackId, list);
  };

  const saved = { ...Log };
  // mp4box logs what it finds wrong through Log (to the console) rather than failing: collect it.
  Log.warn = (module: string, message?: string) => problems.push(`${module}: ${message ?? ''}`);
  Log.error = (module: string, message?: string) => problems.push(`${module}: ${message ?? ''}`);
  try {
    let fileStart = 0;
    for (const part of [init, ...fragments]) {
      // mp4box keeps the buffers it is given: hand it copies that start at their own offset 0
      // (new Uint8Array copies; a Node Buffer's slice() would share the pool instead).
      file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(new Uint8Array(part).buffer, fileStart));
      fileStart += part.length;
    }
    file.flush();
  } finally {
    Object.assign(Log, saved);
  }
  if (problems.length > 0) throw new Error(`mp4box reported:\n${problems.join('\n')}`);

  const info = file.getInfo();
  const moov = file.moov;
  const ftyp = file.ftyp;
  const traks = moov.traks;
  const trexDescriptionIndex = new Map<number, number>();
  for (const trex of moov.mvex?.trexs ?? [])
    trexDescriptionIndex.set(trex.track_id, trex.default_sample_description_index);
  return {
    majorBrand: ftyp.major_brand,
    minorVersion: Number(ftyp.minor_version),
    compatibleBrands: [...ftyp.compatible_brands],
    isFragmented: info.isFragmented,
    movieTimescale: moov.mvhd.timescale,
    nextTrackId: moov.mvhd.next_track_id,
    tracks: info.tracks.map((track) => {
      const trak = traks.find((t) => t.tkhd.track_id === track.id);
      const entry = trak?.mdia.minf.stbl.stsd.entries[0];
      if (trak === undefined || entry === undefined) throw new Error(`mp4box: no sample entry for track ${track.id}`);
      const visual = entry as Box & { width?: number; height?: number };
      const audio = entry as Box & { channel_count?: number; samplerate?: number };
      return {
        id: track.id,
        codec: track.codec,
        timescale: track.timescale,
        type: track.type,
        trackWidth: track.track_width,
        trackHeight: track.track_height,
        width: visual.width,
        height: visual.height,
        channelCount: audio.channel_count,
        sampleRate: audio.samplerate,
        language: track.language,
        handlerName: track.name,
        sampleEntry: entry,
      };
    }),
    trexDescriptionIndex,
    fragments: file.moofs.map((moof) => ({
      start: moof.start ?? Number.NaN,
      sequenceNumber: moof.mfhd.sequence_number,
      trafs: moof.trafs.map((traf) => {
        // A traf may lack a tfdt (not ours): mp4box's typings say otherwise.
        const tfdt = traf.tfdt as typeof traf.tfdt | undefined;
        return {
          trackId: traf.tfhd.track_id,
          tfhdFlags: traf.tfhd.flags,
          tfdtVersion: tfdt?.version ?? -1,
          baseMediaDecodeTime: tfdt?.baseMediaDecodeTime ?? Number.NaN,
          truns: traf.truns.map((trun) => ({
            version: trun.version,
            flags: trun.flags,
            sampleCount: trun.sample_count,
            dataOffset: trun.data_offset,
            durations: [...trun.sample_duration],
            sizes: [...trun.sample_size],
            sampleFlags: [...trun.sample_flags],
            compositionOffsets: [...trun.sample_composition_time_offset],
          })),
        };
      }),
    })),
    samples,
  };
}

function toSample(sample: Mp4boxRawSample): Mp4boxSample {
  if (sample.data === undefined)
    throw new Error(`mp4box: sample ${sample.number} of track ${sample.track_id} has no data`);
  return {
    trackId: sample.track_id,
    dts: sample.dts,
    cts: sample.cts,
    duration: sample.duration,
    size: sample.size,
    isSync: sample.is_sync,
    dependsOn: sample.depends_on,
    data: new Uint8Array(sample.data),
    offset: sample.offset,
  };
}

/** A fragment as written: what writeFragment was given (structurally @camgate/fmp4's FragmentTrack). */
export interface WrittenFragment {
  sequenceNumber: number;
  tracks: ReadonlyArray<{
    id: number;
    baseMediaDecodeTime: number;
    samples: ReadonlyArray<{ duration: number; compositionOffset: number; sync: boolean; data: Uint8Array }>;
  }>;
}

/**
 * Asserts that mp4box read `written` back exactly: per moof the sequence number; per traf the
 * track id, tfhd flags (default-base-is-moof only), tfdt version 1 and baseMediaDecodeTime; one
 * trun of version 1 with flags 0x000F01, every sample's duration, size, flags (0x02000000 sync,
 * 0x01010000 other) and composition offset; and per track every sample's DTS, CTS, sync flag and
 * bytes, read where the data_offset points. (mp4box derives sample times after a track's first
 * fragment from durations, not tfdt: tfdt values are checked per traf, and tfdt continuity, if the
 * caller wants it, is theirs to assert.)
 */
export function expectFragmentsReadBack(read: Mp4boxInspection, written: readonly WrittenFragment[]): void {
  expect(read.fragments.map((f) => f.sequenceNumber)).toEqual(written.map((f) => plus0(f.sequenceNumber)));
  const expectedSamples = new Map<number, Array<Omit<Mp4boxSample, 'offset' | 'dependsOn'>>>();
  written.forEach((fragment, i) => {
    const got = read.fragments[i] as Mp4boxFragment;
    expect(got.trafs.map((t) => t.trackId)).toEqual(fragment.tracks.map((t) => t.id));
    fragment.tracks.forEach((track, t) => {
      const traf = got.trafs[t] as Mp4boxTraf;
      expect({ tfhdFlags: traf.tfhdFlags, tfdtVersion: traf.tfdtVersion, time: traf.baseMediaDecodeTime }).toEqual({
        tfhdFlags: 0x020000,
        tfdtVersion: 1,
        time: plus0(track.baseMediaDecodeTime),
      });
      expect(traf.truns).toHaveLength(1);
      const trun = traf.truns[0] as Mp4boxTrun;
      // data_offset is checked through the bytes: the samples mp4box reads where it points are compared below.
      expect({ ...trun, dataOffset: 0 }).toEqual({
        version: 1,
        flags: 0x000f01,
        sampleCount: track.samples.length,
        dataOffset: 0,
        durations: track.samples.map((s) => plus0(s.duration)),
        sizes: track.samples.map((s) => s.data.length),
        sampleFlags: track.samples.map((s) => (s.sync ? 0x02000000 : 0x01010000)),
        compositionOffsets: track.samples.map((s) => plus0(s.compositionOffset)),
      });
      // mp4box times a track's samples from its first tfdt and then by durations alone
      // (ISOFile.updateSampleLists ignores later tfdts), so expect the DTS it computes that way.
      const list = expectedSamples.get(track.id) ?? [];
      const last = list[list.length - 1];
      let dts = last === undefined ? plus0(track.baseMediaDecodeTime) : last.dts + last.duration;
      for (const sample of track.samples) {
        list.push({
          trackId: track.id,
          dts,
          cts: dts + sample.compositionOffset,
          duration: plus0(sample.duration),
          size: sample.data.length,
          isSync: sample.sync,
          data: sample.data,
        });
        dts += sample.duration;
      }
      expectedSamples.set(track.id, list);
    });
  });
  for (const [trackId, expected] of expectedSamples) {
    const got = (read.samples.get(trackId) ?? []).map(({ offset: _offset, dependsOn: _dependsOn, ...rest }) => rest);
    expect(got, `samples of track ${trackId}`).toEqual(expected.map((s) => ({ ...s, data: new Uint8Array(s.data) })));
  }
}

/** -0 is written as 0, and toEqual tells them apart. */
function plus0(value: number): number {
  return value + 0;
}
