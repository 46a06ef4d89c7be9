import { describe, expect, it } from 'vitest';
import { checkMediaPlaylist } from '../test-playlist-rules.js';
import { vodPlaylist, type VodSegment } from './vod-playlist.js';

const GAP = expect.stringMatching(/^gap\/\d+\.m4s$/) as unknown as string;
const T0 = Date.UTC(2026, 11, 7, 3, 12, 0);

/** Segments of 6 s back to back in one file, from `startMs`. */
function run(count: number, options: Partial<VodSegment> & { startMs: number; offset?: number }): VodSegment[] {
  return Array.from({ length: count }, (_, i) => ({
    uri: 'media/1.m4s',
    mapUri: 'init/a.mp4',
    epoch: 0,
    independent: true,
    durationMs: 6000,
    length: 1000,
    ...options,
    offset: (options.offset ?? 0) + i * 1000,
    startMs: options.startMs + i * 6000,
  }));
}

const tags = (text: string) =>
  text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('#EXT-X-GAP') || l === '#EXT-X-DISCONTINUITY' || l.startsWith('#EXT-X-MAP') || !l.startsWith('#'),
    );

describe('vodPlaylist', () => {
  it('lists byte ranges with PDT, one MAP, and ends', () => {
    const text = vodPlaylist(run(3, { startMs: T0 }));
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:6',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init/a.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T03:12:00.000Z',
        '#EXTINF:6.000,',
        '#EXT-X-BYTERANGE:1000@0',
        'media/1.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T03:12:06.000Z',
        '#EXTINF:6.000,',
        '#EXT-X-BYTERANGE:1000@1000',
        'media/1.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T03:12:12.000Z',
        '#EXTINF:6.000,',
        '#EXT-X-BYTERANGE:1000@2000',
        'media/1.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it.for<[name: string, segments: VodSegment[], expected: string[]]>([
    [
      'a lost segment in one epoch: a GAP of its length',
      [...run(1, { startMs: T0 }), ...run(1, { startMs: T0 + 12_000, offset: 1000 })],
      ['#EXT-X-MAP:URI="init/a.mp4"', 'media/1.m4s', '#EXT-X-GAP', GAP, 'media/1.m4s'],
    ],
    [
      'a hole of 20 s in one epoch: GAP segments of at most the target duration',
      [...run(1, { startMs: T0 }), ...run(1, { startMs: T0 + 26_000, offset: 1000 })],
      [
        '#EXT-X-MAP:URI="init/a.mp4"',
        'media/1.m4s',
        '#EXT-X-GAP',
        GAP,
        '#EXT-X-GAP',
        GAP,
        '#EXT-X-GAP',
        GAP,
        '#EXT-X-GAP',
        GAP,
        'media/1.m4s',
      ],
    ],
    [
      'a new epoch (a reconnect): a discontinuity',
      [...run(1, { startMs: T0 }), ...run(1, { startMs: T0 + 6500, epoch: 1, uri: 'media/2.m4s' })],
      ['#EXT-X-MAP:URI="init/a.mp4"', 'media/1.m4s', '#EXT-X-DISCONTINUITY', 'media/2.m4s'],
    ],
    [
      'an hour without recording: a discontinuity',
      [...run(1, { startMs: T0 }), ...run(1, { startMs: T0 + 3_600_000, offset: 1000 })],
      ['#EXT-X-MAP:URI="init/a.mp4"', 'media/1.m4s', '#EXT-X-DISCONTINUITY', 'media/1.m4s'],
    ],
    [
      'a new configuration: a discontinuity and a new MAP',
      [...run(1, { startMs: T0 }), ...run(1, { startMs: T0 + 6000, epoch: 1, mapUri: 'init/b.mp4', offset: 1000 })],
      [
        '#EXT-X-MAP:URI="init/a.mp4"',
        'media/1.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init/b.mp4"',
        'media/1.m4s',
      ],
    ],
    ['nothing recorded', [], []],
  ])('%s', ([, segments, expected]) => {
    const text = vodPlaylist(segments);
    expect(tags(text).filter((l) => l !== '')).toEqual(expected);
    expect(checkMediaPlaylist(text, { lowLatency: false })).toEqual([]);
  });

  it('the target duration is the longest segment rounded, and INDEPENDENT-SEGMENTS only when all are', () => {
    const text = vodPlaylist([
      ...run(1, { startMs: T0, durationMs: 9600 }),
      ...run(1, { startMs: T0 + 9600, independent: false, offset: 1000 }),
    ]);
    expect(text).toContain('#EXT-X-TARGETDURATION:10\n');
    expect(text).not.toContain('INDEPENDENT-SEGMENTS');
    expect(checkMediaPlaylist(text, { lowLatency: false })).toEqual([]);
  });
});
