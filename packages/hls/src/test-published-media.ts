import { codecsMatch, inspectWithMp4box, type Mp4boxInspection } from '@camgate/testkit';
import { expect } from 'vitest';
import type { HlsStream } from './hls-stream.js';
import { checkSegmentEqualsParts } from './test-playlist-rules.js';
import type { HlsResponse, RenditionName } from './types.js';

/** A segment as a media playlist lists it: its MAP, its parts (when listed) and its URI once complete. */
export interface ListedSegment {
  msn: number;
  mapUri: string;
  discontinuity: boolean;
  parts: Array<{ uri: string; gap: boolean }>;
  /** Undefined for the open segment (only its parts are listed). */
  uri: string | undefined;
  /** EXT-X-GAP: no media, never fetched. */
  gap: boolean;
}

/** Reads the segments of a full (not delta) media playlist. */
export function listedSegments(text: string): ListedSegment[] {
  const segments: ListedSegment[] = [];
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  let mapUri = '';
  let current: ListedSegment | undefined;
  const open = (): ListedSegment => {
    current ??= { msn, mapUri, discontinuity: false, parts: [], uri: undefined, gap: false };
    return current;
  };
  for (const line of text.split('\n')) {
    const uri = /URI="([^"]+)"/.exec(line)?.[1] ?? '';
    if (line.startsWith('#EXT-X-MAP:')) mapUri = uri;
    else if (line === '#EXT-X-DISCONTINUITY') open().discontinuity = true;
    else if (line === '#EXT-X-GAP') open().gap = true;
    else if (line.startsWith('#EXT-X-PART:')) open().parts.push({ uri, gap: line.includes('GAP=YES') });
    else if (line !== '' && !line.startsWith('#')) {
      segments.push({ ...open(), mapUri, uri: line });
      current = undefined;
      msn++;
    }
  }
  if (current !== undefined && current.parts.length > 0) segments.push({ ...current, mapUri });
  return segments;
}

export function bytesOf(res: HlsResponse): Uint8Array {
  expect(res.status).toBe(200);
  return Array.isArray(res.body) ? Buffer.concat(res.body as Uint8Array[]) : (res.body as Uint8Array);
}

export interface PublishedRendition {
  name: RenditionName;
  codec: string;
  segments: ListedSegment[];
  /** One mp4box reading per init segment in force (in playlist order): the init and what follows it. */
  readings: Array<{ mapUri: string; read: Mp4boxInspection }>;
}

/**
 * The independent check of everything a stream serves right now: every init segment, segment and
 * part listed in its playlists is fetched and parsed by mp4box; the codec string mp4box derives
 * from each sample entry equals the multivariant CODECS entry; a complete segment's bytes are its
 * parts' bytes; and tfdt never goes backwards, across discontinuities and init changes too.
 */
export async function expectPublishedMediaValid(stream: HlsStream): Promise<PublishedRendition[]> {
  const multivariant = await stream.handle('index.m3u8');
  expect(multivariant.status).toBe(200);
  const text = multivariant.body as string;
  const codecs = (/CODECS="([^"]+)"/.exec(text)?.[1] ?? '').split(',');
  const names = (['video', 'audio'] as const).filter((name) => text.includes(`${name}.m3u8`));
  const published: PublishedRendition[] = [];
  for (const name of names) {
    const playlist = await stream.handle(`${name}.m3u8`);
    const segments = listedSegments(playlist.body as string);
    const codec = codecs.find((c) => (name === 'video' ? /^(avc1|hvc1)/ : /^(mp4a|opus|flac)/i).test(c)) ?? '';
    const readings: PublishedRendition['readings'] = [];
    for (const mapUri of [...new Set(segments.map((s) => s.mapUri))]) {
      const init = bytesOf(await stream.handle(mapUri));
      const fragments: Uint8Array[] = [];
      for (const segment of segments.filter((s) => s.mapUri === mapUri)) {
        const parts: Uint8Array[] = [];
        for (const part of segment.parts) if (!part.gap) parts.push(bytesOf(await stream.handle(part.uri)));
        if (segment.uri === undefined) {
          fragments.push(...parts);
          continue;
        }
        if (segment.gap) {
          expect((await stream.handle(segment.uri)).status).toBe(404);
          continue;
        }
        const bytes = bytesOf(await stream.handle(segment.uri));
        if (segment.parts.length > 0) expect(checkSegmentEqualsParts(bytes, parts)).toEqual([]);
        fragments.push(bytes);
      }
      const read = inspectWithMp4box(init, fragments);
      expect(read.tracks).toHaveLength(1);
      const track = read.tracks[0];
      expect(codecsMatch(codec, track?.codec ?? ''), `CODECS ${codec} vs mp4box ${track?.codec}`).toBe(true);
      readings.push({ mapUri, read });
    }
    expectTfdtNeverBackwards(
      name,
      readings.map((r) => r.read),
    );
    published.push({ name, codec, segments, readings });
  }
  return published;
}

/** Decode times of consecutive fragments: each starts at or after the end of the one before. */
function expectTfdtNeverBackwards(name: RenditionName, readings: readonly Mp4boxInspection[]): void {
  let end = -Infinity;
  for (const read of readings) {
    for (const fragment of read.fragments) {
      for (const traf of fragment.trafs) {
        expect(traf.baseMediaDecodeTime, `${name} fragment ${fragment.sequenceNumber}`).toBeGreaterThanOrEqual(end);
        end = traf.baseMediaDecodeTime + traf.truns.reduce((n, t) => n + t.durations.reduce((a, b) => a + b, 0), 0);
      }
    }
  }
}
