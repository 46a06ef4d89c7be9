import { BoxWriter } from './box-writer.js';
import { DINF_SIZE, writeDinf } from './boxes/dinf.js';
import { CMAF_FILE_TYPE, ftypSize, writeFtyp } from './boxes/ftyp.js';
import { HANDLER_NAMES, hdlrSize, writeHdlr } from './boxes/hdlr.js';
import { MDHD_SIZE, writeMdhd } from './boxes/mdhd.js';
import { SMHD_SIZE, VMHD_SIZE, writeSmhd, writeVmhd } from './boxes/media-header.js';
import { MVHD_SIZE, writeMvhd } from './boxes/mvhd.js';
import { mvexSize, writeMvex } from './boxes/mvex.js';
import { stblSize, writeStbl } from './boxes/stbl.js';
import { TKHD_SIZE, writeTkhd } from './boxes/tkhd.js';
import { Fmp4Error, Fmp4ErrorCode } from './errors.js';
import { MAX_INIT_TRACKS } from './limits.js';
import { type SampleEntry, sampleEntryOf } from './sample-entry.js';
import type { InitTrack } from './track-config.js';

/** mvhd timescale: only the (zero) movie duration is in it; 1000 as ffmpeg and GPAC write it. */
const MOVIE_TIMESCALE = 1000;
/** track_ID and next_track_ID are 32-bit; 0 is not a track ID (ISO/IEC 14496-12 §8.3.2.3). */
const MAX_TRACK_ID = 0xffffffff;

const INVALID = Fmp4ErrorCode.INVALID_CONFIG;

/**
 * The CMAF header (ISO/IEC 23000-19 §7.3.1): ftyp (major iso6, compatible iso6, cmfc, mp41) and a
 * moov with one trak per track, empty sample tables and an mvex with one trex per track, written
 * into one buffer of the exact size. Throws FMP4_INVALID_CONFIG for an unusable configuration (an
 * unparsable parameter set, a bad track id or timescale, duplicate ids, no tracks or more than
 * MAX_INIT_TRACKS).
 */
export function writeInitSegment(tracks: readonly InitTrack[]): Uint8Array {
  if (tracks.length === 0 || tracks.length > MAX_INIT_TRACKS) {
    throw new Fmp4Error(INVALID, `an init segment has 1 to ${MAX_INIT_TRACKS} tracks, not ${tracks.length}`);
  }
  const ids = new Set<number>();
  const entries: SampleEntry[] = [];
  let moovSize = 8 + MVHD_SIZE + mvexSize(tracks.length);
  for (const track of tracks) {
    checkTrack(track);
    if (ids.has(track.id)) throw new Fmp4Error(INVALID, `track id ${track.id} is used twice`);
    ids.add(track.id);
    const entry = sampleEntryOf(track.config);
    entries.push(entry);
    moovSize += trakSize(entry);
  }

  const w = new BoxWriter(ftypSize(CMAF_FILE_TYPE) + moovSize);
  writeFtyp(w, CMAF_FILE_TYPE);
  const moov = w.startBox('moov');
  writeMvhd(w, { timescale: MOVIE_TIMESCALE, nextTrackId: Math.min(Math.max(...ids) + 1, MAX_TRACK_ID) });
  tracks.forEach((track, i) => {
    writeTrak(w, track, entries[i] as SampleEntry);
  });
  writeMvex(
    w,
    tracks.map((track) => track.id),
  );
  w.endBox(moov);
  return w.finishExact();
}

function checkTrack(track: InitTrack): void {
  if (!Number.isInteger(track.id) || track.id < 1 || track.id > MAX_TRACK_ID) {
    throw new Fmp4Error(INVALID, `track id ${track.id} is not in 1..2^32-1`);
  }
  if (!Number.isInteger(track.timescale) || track.timescale < 1 || track.timescale > 0xffffffff) {
    throw new Fmp4Error(INVALID, `timescale ${track.timescale} of track ${track.id} is not in 1..2^32-1`);
  }
}

function trakSize(entry: SampleEntry): number {
  const mediaHeader = entry.kind === 'video' ? VMHD_SIZE : SMHD_SIZE;
  const minf = 8 + mediaHeader + DINF_SIZE + stblSize(entry.size);
  const mdia = 8 + MDHD_SIZE + hdlrSize(handlerName(entry)) + minf;
  return 8 + TKHD_SIZE + mdia;
}

/** TrackBox (§8.3.1) > tkhd, mdia (§8.4.1) > mdhd, hdlr, minf (§8.4.4) > vmhd|smhd, dinf, stbl. */
function writeTrak(w: BoxWriter, track: InitTrack, entry: SampleEntry): void {
  const video = entry.kind === 'video';
  const trak = w.startBox('trak');
  writeTkhd(w, { trackId: track.id, width: entry.width, height: entry.height, audio: !video });
  const mdia = w.startBox('mdia');
  writeMdhd(w, track.timescale);
  writeHdlr(w, video ? 'vide' : 'soun', handlerName(entry));
  const minf = w.startBox('minf');
  if (video) writeVmhd(w);
  else writeSmhd(w);
  writeDinf(w);
  writeStbl(w, (sw) => {
    entry.write(sw);
  });
  w.endBox(minf);
  w.endBox(mdia);
  w.endBox(trak);
}

function handlerName(entry: SampleEntry): string {
  return HANDLER_NAMES[entry.kind === 'video' ? 'vide' : 'soun'];
}
