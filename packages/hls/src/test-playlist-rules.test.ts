import { readFileSync } from 'node:fs';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PLAYLIST_CHARS,
  PLAYLIST_RULES,
  PlaylistHistory,
  checkMediaPlaylist,
  checkMultivariantPlaylist,
  checkSegmentEqualsParts,
  expectConforming,
  type CheckOptions,
  type RuleViolation,
} from './test-playlist-rules.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../testdata/playlist-rules/${name}`, import.meta.url), 'utf8');
}

const LIVE = fixture('live-video.m3u8');
const DELTA = fixture('delta-video.m3u8');
const MULTIVARIANT = fixture('multivariant.m3u8');

/** 4 parts of 12 frames and a final one of 2 frames at 25 fps: a 2 s GOP. */
const PART_DURATIONS = ['0.480', '0.480', '0.480', '0.480', '0.080'];
const PDT_AT_100 = Date.UTC(2026, 4, 1, 12, 0, 0);

interface LiveShape {
  /** First MSN listed (before any skip). */
  first?: number;
  /** MSN of the segment being built (= last complete + 1). */
  next: number;
  /** Parts of the segment being built that are listed (0–4). */
  open: number;
  /** Completed segments that still list their parts. */
  partSegments?: number;
  /** Delta update: the first `skip` segments are replaced by EXT-X-SKIP. */
  skip?: number;
  version?: number;
  serverControl?: string;
  /** URI prefix: '' for video, 'a' for the audio rendition. */
  prefix?: string;
  /** The other rendition reported; it is in step with this one. */
  report?: string;
  /** An MSN whose segment starts with EXT-X-DISCONTINUITY. */
  discontinuity?: number;
  discontinuitySequence?: number;
}

/** The camgate playlist shape of the fixtures, for any window and live edge. */
function live(shape: LiveShape): string {
  const { next, open, prefix = '', report = 'audio.m3u8' } = shape;
  const first = shape.first ?? next - 7;
  const skip = shape.skip ?? 0;
  const partSegments = shape.partSegments ?? 2;
  const pdt = (msn: number): string =>
    `#EXT-X-PROGRAM-DATE-TIME:${new Date(PDT_AT_100 + (msn - 100) * 2000).toISOString()}`;
  const part = (msn: number, index: number): string =>
    `#EXT-X-PART:DURATION=${PART_DURATIONS[index] ?? ''},${index === 0 ? 'INDEPENDENT=YES,' : ''}URI="${prefix}part${msn}.${index}.m4s"`;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${shape.version ?? (skip > 0 ? 9 : 6)}`,
    '#EXT-X-TARGETDURATION:2',
    `#EXT-X-SERVER-CONTROL:${shape.serverControl ?? 'CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.512,CAN-SKIP-UNTIL=12.000'}`,
    '#EXT-X-PART-INF:PART-TARGET=0.504',
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
  ];
  if (shape.discontinuitySequence !== undefined)
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${shape.discontinuitySequence}`);
  if (skip > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skip}`);
  lines.push(`#EXT-X-MAP:URI="${prefix}init.mp4"`);
  for (let msn = first + skip; msn <= next; msn++) {
    if (msn === next && open === 0) break;
    if (msn === shape.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(pdt(msn));
    const parts = msn === next ? open : msn >= next - partSegments ? PART_DURATIONS.length : 0;
    for (let i = 0; i < parts; i++) lines.push(part(msn, i));
    if (msn < next) lines.push('#EXTINF:2.000,', `${prefix}seg${msn}.m4s`);
  }
  lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${prefix}part${next}.${open}.m4s"`);
  const last =
    open > 0 ? `LAST-MSN=${next},LAST-PART=${open - 1}` : `LAST-MSN=${next - 1},LAST-PART=${PART_DURATIONS.length - 1}`;
  lines.push(`#EXT-X-RENDITION-REPORT:URI="${report}",${last}`);
  return `${lines.join('\n')}\n`;
}

/** `live()` as a standard playlist: the complete segments, without any LL-HLS tag. */
function standard(shape: LiveShape): string {
  const lines = live(shape)
    .split('\n')
    .filter((line) => !/^#EXT-X-(?:SERVER-CONTROL|PART-INF|PART|PRELOAD-HINT|RENDITION-REPORT):/.test(line));
  // The segment being built is not listed at all: nothing after the last URI.
  const lastUri = lines.findLastIndex((line) => line !== '' && !line.startsWith('#'));
  return `${lines.slice(0, lastUri + 1).join('\n')}\n`;
}

/** Replaces `from` (which must occur) by `to`: a mutation that silently did nothing would prove nothing. */
function edit(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`mutation did not apply: ${String(from)}`);
  return out;
}

/** Shifts the PDT of segment `fromMsn` and every later one by `ms`. */
function shiftPdt(text: string, fromMsn: number, ms: number): string {
  const from = PDT_AT_100 + (fromMsn - 100) * 2000;
  return edit(text, /#EXT-X-PROGRAM-DATE-TIME:(\S+)/g, ((line: string, iso: string) => {
    const t = Date.parse(iso);
    return t >= from ? `#EXT-X-PROGRAM-DATE-TIME:${new Date(t + ms).toISOString()}` : line;
  }) as unknown as string);
}

function ruleIds(violations: readonly RuleViolation[]): string[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}

describe('the fixtures', () => {
  it('are what live() builds', () => {
    expect(live({ next: 107, open: 2 })).toBe(LIVE);
    expect(live({ first: 100, next: 110, open: 2, skip: 3 })).toBe(DELTA);
  });

  it('the live playlist conforms, with its rendition report', () => {
    expect(checkMediaPlaylist(LIVE)).toEqual([]);
    expect(checkMediaPlaylist(LIVE, { self: 'video.m3u8', otherRenditions: ['audio.m3u8'] })).toEqual([]);
    expect(() => expectConforming(LIVE)).not.toThrow();
  });

  it('the delta update conforms as the answer to _HLS_skip=YES', () => {
    expect(checkMediaPlaylist(DELTA, { delta: 'YES' })).toEqual([]);
  });

  it('the multivariant playlist conforms, alone and with its media playlists', () => {
    expect(checkMultivariantPlaylist(MULTIVARIANT)).toEqual([]);
    const mediaPlaylists = {
      'video.m3u8': live({ next: 107, open: 2 }),
      'audio.m3u8': live({ next: 107, open: 2, prefix: 'a', report: 'video.m3u8' }),
    };
    expect(checkMultivariantPlaylist(MULTIVARIANT, { mediaPlaylists })).toEqual([]);
  });

  it('a standard playlist (no LL-HLS tags) conforms when checked as one, and not as LL-HLS', () => {
    const text = standard({ next: 107, open: 2 });
    expect(checkMediaPlaylist(text, { lowLatency: false, otherRenditions: ['audio.m3u8'] })).toEqual([]);
    expect(ruleIds(checkMediaPlaylist(text, { otherRenditions: ['audio.m3u8'] }))).toEqual([
      'can-block-reload',
      'rendition-report',
    ]);
    const mediaPlaylists = { 'video.m3u8': text, 'audio.m3u8': standard({ next: 107, open: 2, prefix: 'a' }) };
    expect(checkMultivariantPlaylist(MULTIVARIANT, { mediaPlaylists, lowLatency: false })).toEqual([]);
  });

  it('the other shapes of the live edge conform too', () => {
    for (const open of [0, 1, 2, 3, 4]) expect(checkMediaPlaylist(live({ next: 107, open }))).toEqual([]);
    expect(checkMediaPlaylist(live({ next: 107, open: 2, discontinuity: 104, discontinuitySequence: 3 }))).toEqual([]);
  });
});

type Mutation = [rule: string, what: string, text: () => string, options?: CheckOptions];

/** One mutation per rule of a single playlist; each must yield exactly its rule. */
const singlePlaylist: Mutation[] = [
  ['encoding', 'a byte order mark', () => `\uFEFF${LIVE}`],
  ['encoding', 'a NUL in a URI', () => edit(LIVE, 'seg101.m4s', 'seg\u0000101.m4s')],
  ['extm3u', 'no #EXTM3U line', () => edit(LIVE, '#EXTM3U\n', '')],
  ['syntax', 'EXTINF without its comma', () => edit(LIVE, '#EXTINF:2.000,\nseg100', '#EXTINF:2.000\nseg100')],
  [
    'syntax',
    'INDEPENDENT=NO (unknown enum: clients drop the tag)',
    () => edit(LIVE, 'DURATION=0.480,URI="part106.1', 'DURATION=0.480,INDEPENDENT=NO,URI="part106.1'),
  ],
  ['syntax', 'a trailing space after a URI', () => edit(LIVE, 'seg102.m4s\n', 'seg102.m4s \n')],
  [
    'unknown',
    'a typo in a tag name',
    () => edit(LIVE, '#EXT-X-MEDIA-SEQUENCE:100\n', '#EXT-X-MEDIA-SEQUENCE:100\n#EXT-X-CAMGATE-DEBUG:1\n'),
  ],
  [
    'duplicate-tag',
    'TARGETDURATION twice',
    () => edit(LIVE, '#EXT-X-TARGETDURATION:2\n', '#EXT-X-TARGETDURATION:2\n#EXT-X-TARGETDURATION:2\n'),
  ],
  [
    'playlist-kind',
    'a multivariant tag',
    () =>
      edit(
        LIVE,
        '#EXT-X-MEDIA-SEQUENCE:100\n',
        '#EXT-X-MEDIA-SEQUENCE:100\n#EXT-X-SESSION-DATA:DATA-ID="com.camgate.name",VALUE="cam1"\n',
      ),
  ],
  ['version', 'EXT-X-MAP with version 5', () => edit(LIVE, '#EXT-X-VERSION:6', '#EXT-X-VERSION:5')],
  ['version', 'no EXT-X-VERSION', () => edit(LIVE, '#EXT-X-VERSION:6\n', '')],
  ['version', 'EXT-X-SKIP with version 6', () => edit(DELTA, '#EXT-X-VERSION:9', '#EXT-X-VERSION:6'), { delta: 'YES' }],
  [
    'playlist-type',
    'PLAYLIST-TYPE:EVENT on a sliding window',
    () => edit(LIVE, '#EXT-X-TARGETDURATION:2\n', '#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n'),
  ],
  ['target-duration', 'TARGETDURATION 0', () => edit(LIVE, '#EXT-X-TARGETDURATION:2', '#EXT-X-TARGETDURATION:0')],
  ['target-duration', 'no TARGETDURATION', () => edit(LIVE, '#EXT-X-TARGETDURATION:2\n', '')],
  [
    'media-sequence',
    'no MEDIA-SEQUENCE',
    () => edit(edit(LIVE, '#EXT-X-MEDIA-SEQUENCE:100\n', ''), 'LAST-MSN=107', 'LAST-MSN=7'),
  ],
  [
    'discontinuity-sequence',
    'a DISCONTINUITY without DISCONTINUITY-SEQUENCE',
    () =>
      edit(
        LIVE,
        '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:06.000Z',
        '#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:06.000Z',
      ),
  ],
  ['min-segments', 'a window of 5 segments', () => live({ first: 102, next: 107, open: 2 })],
  ['td-extinf', 'a 2.6 s segment with TD 2', () => edit(LIVE, '#EXTINF:2.000,\nseg100', '#EXTINF:2.600,\nseg100')],
  [
    'zero-duration',
    'a part of 0 s at the live edge',
    () => edit(LIVE, 'DURATION=0.480,URI="part107.1', 'DURATION=0.000,URI="part107.1'),
  ],
  [
    'gap',
    'a GAP segment with media parts',
    () => edit(LIVE, '#EXTINF:2.000,\nseg105', '#EXT-X-GAP\n#EXTINF:2.000,\nseg105'),
  ],
  [
    'tag-order',
    'PDT after the first part',
    () => edit(LIVE, /(#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:10.000Z)\n(#EXT-X-PART[^\n]*)/, '$2\n$1'),
  ],
  [
    'tag-order',
    'MEDIA-SEQUENCE after a segment',
    () =>
      edit(edit(LIVE, '#EXT-X-MEDIA-SEQUENCE:100\n', ''), 'seg100.m4s\n', 'seg100.m4s\n#EXT-X-MEDIA-SEQUENCE:100\n'),
  ],
  ['map-missing', 'no EXT-X-MAP', () => edit(LIVE, '#EXT-X-MAP:URI="init.mp4"\n', '')],
  ['pdt-missing', 'a segment without PDT', () => edit(LIVE, '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:06.000Z\n', '')],
  [
    'pdt-missing',
    'the open segment without PDT',
    () => edit(LIVE, '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:14.000Z\n', ''),
  ],
  ['pdt-format', 'a PDT without milliseconds', () => edit(LIVE, '12:00:06.000Z', '12:00:06Z')],
  ['pdt-format', 'a PDT without a zone', () => edit(LIVE, '12:00:06.000Z', '12:00:06.000')],
  [
    'pdt-format',
    'February 30th (Date.parse would roll it over)',
    () => edit(LIVE, '2026-05-01T12:00:06.000Z', '2026-02-30T12:00:06.000Z'),
  ],
  ['pdt-overlap', 'the PDT goes back 1.5 s', () => shiftPdt(LIVE, 103, -1500)],
  ['pdt-gap', 'the PDT jumps 1.5 s ahead without DISCONTINUITY', () => shiftPdt(LIVE, 103, 1500)],
  [
    'endlist',
    'ENDLIST with an unfinished segment',
    () => edit(LIVE, /#EXT-X-PRELOAD-HINT[^\n]*\n/, '#EXT-X-ENDLIST\n'),
  ],
  ['uri-duplicate', 'two parts with one URI', () => edit(LIVE, 'part105.1.m4s', 'part105.0.m4s')],
  ['uri-relative', 'an absolute segment URI', () => edit(LIVE, '\nseg100.m4s', '\nhttps://cam.example/seg100.m4s')],
  [
    'uri-relative',
    'a network-path hint URI',
    () => edit(LIVE, 'URI="part107.2.m4s"', 'URI="//cam.example/part107.2.m4s"'),
  ],
  ['can-block-reload', 'no CAN-BLOCK-RELOAD', () => edit(LIVE, 'CAN-BLOCK-RELOAD=YES,', '')],
  [
    'can-block-reload',
    'no SERVER-CONTROL at all',
    () => edit(LIVE, /#EXT-X-SERVER-CONTROL[^\n]*\n/, '#EXT-X-SERVER-CONTROL:PART-HOLD-BACK=1.512\n'),
  ],
  [
    'hold-back',
    'HOLD-BACK below 3×TD',
    () => edit(LIVE, 'CAN-BLOCK-RELOAD=YES,', 'CAN-BLOCK-RELOAD=YES,HOLD-BACK=5.000,'),
  ],
  ['can-skip-until', 'CAN-SKIP-UNTIL below 6×TD', () => edit(LIVE, 'CAN-SKIP-UNTIL=12.000', 'CAN-SKIP-UNTIL=10.000')],
  [
    'can-skip-until',
    'CAN-SKIP-DATERANGES without CAN-SKIP-UNTIL',
    () => edit(LIVE, 'CAN-SKIP-UNTIL=12.000', 'CAN-SKIP-DATERANGES=YES'),
  ],
  [
    'part-hold-back',
    'PART-HOLD-BACK 2.5×PART-TARGET (gohlslib)',
    () => edit(LIVE, 'PART-HOLD-BACK=1.512', 'PART-HOLD-BACK=1.260'),
  ],
  ['part-hold-back', 'no PART-HOLD-BACK', () => edit(LIVE, 'PART-HOLD-BACK=1.512,', '')],
  ['part-inf', 'parts without PART-INF', () => edit(LIVE, '#EXT-X-PART-INF:PART-TARGET=0.504\n', '')],
  [
    'part-over-target',
    'a 0.510 s part with PART-TARGET 0.504',
    () =>
      edit(
        edit(LIVE, 'DURATION=0.480,URI="part106.1', 'DURATION=0.510,URI="part106.1'),
        'DURATION=0.080,URI="part106.4',
        'DURATION=0.050,URI="part106.4',
      ),
  ],
  [
    'part-under-85',
    'a 0.400 s part in the middle of a segment',
    () =>
      edit(
        edit(LIVE, 'DURATION=0.480,URI="part105.1', 'DURATION=0.400,URI="part105.1'),
        'DURATION=0.080,URI="part105.4',
        'DURATION=0.160,URI="part105.4',
      ),
  ],
  [
    'part-under-85',
    'a short part followed by another in the open segment',
    () =>
      edit(
        LIVE,
        'DURATION=0.480,INDEPENDENT=YES,URI="part107.0',
        'DURATION=0.300,INDEPENDENT=YES,URI="part107.0',
      ).replace('INDEPENDENT=YES,URI="part107.0', 'URI="part107.0'),
    { allow: ['part-independent'] },
  ],
  [
    'parts-sum',
    'parts 40 ms short of their segment',
    () => edit(LIVE, 'DURATION=0.480,URI="part105.2', 'DURATION=0.440,URI="part105.2'),
  ],
  [
    'parts-contiguous',
    'a segment without parts after one with parts',
    () => edit(LIVE, /(#EXT-X-PART[^\n]*part106[^\n]*\n)+/, ''),
  ],
  [
    'parts-too-old',
    'parts kept for 4 segments (one ends 6.96 s from the end)',
    () => live({ next: 107, open: 2, partSegments: 4 }),
  ],
  [
    'part-independent',
    'the first part of a segment without INDEPENDENT=YES',
    () => edit(LIVE, 'INDEPENDENT=YES,URI="part106.0', 'URI="part106.0'),
  ],
  ['preload-hint', 'no preload hint', () => edit(LIVE, /#EXT-X-PRELOAD-HINT[^\n]*\n/, '')],
  [
    'preload-hint',
    'two TYPE=PART hints',
    () => edit(LIVE, /(#EXT-X-PRELOAD-HINT[^\n]*\n)/, '$1#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part107.3.m4s"\n'),
  ],
  [
    'preload-hint',
    'a hint for a listed part',
    () => edit(LIVE, 'TYPE=PART,URI="part107.2.m4s"', 'TYPE=PART,URI="part107.1.m4s"'),
  ],
  [
    'preload-hint',
    'a hint after ENDLIST',
    () =>
      `${edit(edit(LIVE, /#EXT-X-PART[^\n]*part107[^\n]*\n/g, ''), 'LAST-MSN=107,LAST-PART=1', 'LAST-MSN=106,LAST-PART=4')}#EXT-X-ENDLIST\n`,
  ],
  [
    'rendition-report',
    'no report for the audio rendition',
    () => edit(LIVE, /#EXT-X-RENDITION-REPORT[^\n]*\n/, ''),
    { otherRenditions: ['audio.m3u8'] },
  ],
  [
    'rendition-report',
    'a report without LAST-PART',
    () => edit(LIVE, ',LAST-PART=1', ''),
    { otherRenditions: ['audio.m3u8'] },
  ],
  [
    'rendition-report',
    'a report for itself',
    () => edit(LIVE, 'URI="audio.m3u8"', 'URI="video.m3u8"'),
    { self: 'video.m3u8', otherRenditions: ['audio.m3u8'] },
  ],
  [
    'rendition-report',
    'a report for an unknown rendition',
    () => `${LIVE}#EXT-X-RENDITION-REPORT:URI="sub.m3u8",LAST-MSN=107,LAST-PART=1\n`,
    { otherRenditions: ['audio.m3u8'] },
  ],
  [
    'rendition-report-sync',
    'a report two parts behind',
    () => edit(LIVE, 'LAST-MSN=107,LAST-PART=1', 'LAST-MSN=106,LAST-PART=3'),
  ],
  ['skip', 'EXT-X-SKIP without _HLS_skip', () => DELTA],
  ['skip', 'a full playlist for _HLS_skip=YES', () => LIVE, { delta: 'YES' }],
  ['skip', '_HLS_skip=v2 without RECENTLY-REMOVED-DATERANGES', () => DELTA, { delta: 'v2' }],
  [
    'skip',
    'RECENTLY-REMOVED-DATERANGES for _HLS_skip=YES',
    () =>
      edit(
        edit(DELTA, 'SKIPPED-SEGMENTS=3', 'SKIPPED-SEGMENTS=3,RECENTLY-REMOVED-DATERANGES=""'),
        'VERSION:9',
        'VERSION:10',
      ),
    { delta: 'YES' },
  ],
  [
    'skip',
    'EXT-X-SKIP after a segment',
    () =>
      edit(
        edit(DELTA, '#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n', ''),
        'seg103.m4s\n',
        'seg103.m4s\n#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n',
      ),
    { delta: 'YES' },
  ],
  [
    'skip-boundary',
    'segments within CAN-SKIP-UNTIL skipped',
    () => live({ first: 100, next: 110, open: 2, skip: 5 }),
    { delta: 'YES' },
  ],
  [
    'skip-too-few',
    'a segment beyond CAN-SKIP-UNTIL kept',
    () => live({ first: 100, next: 110, open: 2, skip: 2 }),
    { delta: 'YES' },
  ],
  ['standard-delivery', 'a standard playlist that lists parts', () => LIVE, { lowLatency: false }],
  [
    'dangling-tag',
    'a date for a segment that is not listed',
    () => `${standard({ next: 107, open: 0 })}#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:14.000Z\n`,
    { lowLatency: false },
  ],
  [
    'standard-delivery',
    'a standard playlist that allows blocking reloads',
    () =>
      standard({ next: 107, open: 0 }).replace(
        '#EXT-X-MEDIA-SEQUENCE',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n$&',
      ),
    { lowLatency: false },
  ],
];

describe('checkMediaPlaylist: one mutation per rule', () => {
  it.each(singlePlaylist)('%s: %s', (rule, _what, text, options) => {
    const violations = checkMediaPlaylist(text(), options);
    expect(ruleIds(violations)).toEqual([rule]);
    for (const v of violations) expect(v.level).toBe(PLAYLIST_RULES[v.rule as keyof typeof PLAYLIST_RULES].level);
  });

  it('reports the line of the offending tag', () => {
    const text = edit(LIVE, 'DURATION=0.480,URI="part106.1', 'DURATION=0.510,URI="part106.1');
    const line = text.split('\n').findIndex((l) => l.includes('part106.1')) + 1;
    expect(checkMediaPlaylist(text)).toContainEqual(
      expect.objectContaining({ rule: 'part-over-target', line, level: 'must' }),
    );
  });

  it('a rendition report one part ahead or behind is in step', () => {
    expect(checkMediaPlaylist(edit(LIVE, 'LAST-PART=1', 'LAST-PART=2'))).toEqual([]);
    expect(checkMediaPlaylist(edit(LIVE, 'LAST-PART=1', 'LAST-PART=0'))).toEqual([]);
    expect(
      checkMediaPlaylist(live({ next: 107, open: 0 }).replace('LAST-MSN=106,LAST-PART=4', 'LAST-MSN=107,LAST-PART=0')),
    ).toEqual([]);
  });

  it('the latest part of the open segment may be short: it may turn out to be the final one', () => {
    const short = edit(LIVE, 'DURATION=0.480,URI="part107.1', 'DURATION=0.080,URI="part107.1');
    expect(checkMediaPlaylist(short)).toEqual([]);
  });

  it('parts before a GAP part and GAP or INDEPENDENT parts may be short', () => {
    // 105: 0.480, 0.300 (before a GAP part), 0.480 GAP, 0.480, 0.260 = 2 s; 106: a short GAP part.
    let text = edit(LIVE, 'DURATION=0.480,URI="part105.1', 'DURATION=0.300,URI="part105.1');
    text = edit(text, 'DURATION=0.480,URI="part105.2', 'DURATION=0.480,GAP=YES,URI="part105.2');
    text = edit(text, 'DURATION=0.080,URI="part105.4', 'DURATION=0.260,URI="part105.4');
    text = edit(text, 'DURATION=0.480,URI="part106.2', 'DURATION=0.200,GAP=YES,URI="part106.2');
    text = edit(text, 'DURATION=0.080,URI="part106.4', 'DURATION=0.360,URI="part106.4');
    expect(checkMediaPlaylist(text)).toEqual([]);
    let independent = edit(LIVE, 'DURATION=0.480,URI="part105.1', 'DURATION=0.300,INDEPENDENT=YES,URI="part105.1');
    independent = edit(independent, 'DURATION=0.080,URI="part105.4', 'DURATION=0.260,URI="part105.4');
    expect(checkMediaPlaylist(independent)).toEqual([]);
  });

  it('a part exactly at PART-TARGET passes; float noise does not fail it', () => {
    const text = edit(
      edit(LIVE, 'DURATION=0.480,URI="part106.1', 'DURATION=0.504,URI="part106.1'),
      'DURATION=0.080,URI="part106.4',
      'DURATION=0.056,URI="part106.4',
    );
    expect(checkMediaPlaylist(text)).toEqual([]);
  });

  it('accepts any skip count within the two readings of "the end" (§6.2.5.1)', () => {
    expect(checkMediaPlaylist(live({ first: 100, next: 110, open: 2, skip: 4 }), { delta: 'YES' })).toEqual([]);
    const v2 = edit(
      edit(DELTA, 'SKIPPED-SEGMENTS=3', 'SKIPPED-SEGMENTS=3,RECENTLY-REMOVED-DATERANGES=""'),
      'VERSION:9',
      'VERSION:10',
    );
    expect(checkMediaPlaylist(v2, { delta: 'v2', previous: live({ first: 100, next: 110, open: 1 }) })).toEqual([]);
  });

  it('a server without CAN-SKIP-UNTIL ignores _HLS_skip: the full playlist is right', () => {
    const noSkip = edit(LIVE, ',CAN-SKIP-UNTIL=12.000', '');
    expect(checkMediaPlaylist(noSkip, { delta: 'YES' })).toEqual([]);
  });

  it('allow leaves rules out; expectConforming lists every violation', () => {
    const text = live({ first: 102, next: 107, open: 2 });
    expect(checkMediaPlaylist(text, { allow: ['min-segments'] })).toEqual([]);
    expect(() => expectConforming(edit(LIVE, 'CAN-BLOCK-RELOAD=YES,', ''))).toThrow(/can-block-reload \[must\]/);
  });

  it('text it cannot read is a violation, never an exception', () => {
    expect(ruleIds(checkMediaPlaylist(''))).toContain('extm3u');
    expect(ruleIds(checkMediaPlaylist('#EXTM3U\n#EXT-X-PART:URI="x,\n'))).toContain('syntax');
    expect(ruleIds(checkMediaPlaylist('x'.repeat(MAX_PLAYLIST_CHARS + 1)))).toEqual(['too-large']);
  });
});

const PREV = live({ next: 107, open: 2 });
const CUR = live({ next: 107, open: 3 });

/** Reload mutations: [rule, what, previous, current, options]. */
const reloads: Array<
  [rule: string, what: string, previous: () => string, current: () => string, options?: CheckOptions]
> = [
  ['constant-td', 'TARGETDURATION 3 → 2', () => edit(PREV, 'TARGETDURATION:2', 'TARGETDURATION:3'), () => CUR],
  [
    'constant-part-target',
    'PART-TARGET recomputed 0.500 → 0.504 (mediamtx#5071)',
    () => edit(PREV, 'PART-TARGET=0.504', 'PART-TARGET=0.500'),
    () => CUR,
  ],
  [
    'constant-server-control',
    'PART-HOLD-BACK 1.600 → 1.512 (Apple -12642)',
    () => edit(PREV, 'PART-HOLD-BACK=1.512', 'PART-HOLD-BACK=1.600'),
    () => CUR,
  ],
  [
    'msn-decreased',
    'MEDIA-SEQUENCE 101 → 100',
    () => live({ first: 101, next: 107, open: 2 }),
    () => live({ first: 100, next: 107, open: 3 }),
  ],
  [
    'discontinuity-sequence',
    'a DISCONTINUITY dropped without incrementing the sequence',
    () => live({ first: 100, next: 107, open: 2, discontinuity: 101, discontinuitySequence: 0 }),
    () => live({ first: 102, next: 108, open: 0, discontinuitySequence: 0 }),
  ],
  [
    'discontinuity-sequence',
    'a stream continued by another server counts its DSNs from 0 again (107 had DSN 1)',
    () => live({ first: 100, next: 107, open: 2, discontinuity: 105, discontinuitySequence: 0 }),
    () => live({ first: 110, next: 117, open: 1, discontinuity: 110, discontinuitySequence: 0 }),
    { allow: ['hint-not-used'] },
  ],
  [
    'discontinuity-sequence',
    'a jump past the old segments that forgets their DISCONTINUITY (107 had DSN 3, 110 has 2)',
    () => live({ first: 100, next: 107, open: 2, discontinuity: 105, discontinuitySequence: 2 }),
    () => live({ first: 110, next: 117, open: 1, discontinuitySequence: 2 }),
    { allow: ['hint-not-used'] },
  ],
  ['uri-changed', 'a segment renamed', () => PREV, () => edit(CUR, '\nseg103.m4s', '\nseg103b.m4s')],
  ['uri-changed', 'a part renamed', () => PREV, () => edit(CUR, 'part107.1.m4s', 'part107.1b.m4s')],
  [
    'duration-changed',
    'a segment 0.1 s shorter',
    () => PREV,
    () => edit(CUR, '#EXTINF:2.000,\nseg102', '#EXTINF:1.900,\nseg102'),
  ],
  [
    'duration-changed',
    'a part 0.01 s longer',
    () => PREV,
    () =>
      edit(
        edit(CUR, 'DURATION=0.480,URI="part107.1', 'DURATION=0.490,URI="part107.1'),
        'DURATION=0.480,URI="part107.2',
        'DURATION=0.470,URI="part107.2',
      ),
  ],
  ['segment-changed', 'a PDT moved 0.2 s', () => PREV, () => shiftPdt(shiftPdt(CUR, 104, 200), 105, -200)],
  ['append-only', 'the last part removed again', () => PREV, () => live({ next: 107, open: 1 })],
  [
    'append-only',
    'parts listed again for a segment that had lost them',
    () => PREV,
    () => live({ next: 107, open: 3, partSegments: 3 }),
  ],
  [
    'playlist-too-short',
    'a window cut to 2 segments',
    () => PREV,
    () => live({ first: 105, next: 107, open: 3 }),
    { allow: ['min-segments'] },
  ],
  [
    'hint-not-used',
    'the hinted part published under another URI',
    () => PREV,
    () => edit(CUR, 'part107.2.m4s', 'part107.2x.m4s'),
  ],
  [
    'uri-reused',
    'a new segment named like a removed one',
    () => PREV,
    () => edit(live({ first: 101, next: 108, open: 0 }), '\nseg107.m4s', '\nseg100.m4s'),
  ],
];

describe('checkMediaPlaylist with previous: one mutation per reload rule', () => {
  it('consecutive reloads conform', () => {
    expect(checkMediaPlaylist(CUR, { previous: PREV })).toEqual([]);
    expect(
      checkMediaPlaylist(live({ first: 101, next: 108, open: 0 }), { previous: live({ next: 107, open: 4 }) }),
    ).toEqual([]);
    expect(
      checkMediaPlaylist(live({ first: 102, next: 108, open: 0, discontinuitySequence: 1 }), {
        previous: live({ first: 100, next: 107, open: 2, discontinuity: 101, discontinuitySequence: 0 }),
      }),
    ).toEqual([]);
    // A hand-over: MSNs 107-109 never listed (the old server's unreported ones), a DISCONTINUITY
    // on the first new segment, DSNs counted on from the old last one (107: DSN 1; 110: DSN 2).
    // The part the old server hinted is never published (SHOULD: it cannot be helped).
    expect(
      checkMediaPlaylist(live({ first: 110, next: 117, open: 1, discontinuity: 110, discontinuitySequence: 1 }), {
        previous: live({ first: 100, next: 107, open: 2, discontinuity: 105, discontinuitySequence: 0 }),
        allow: ['hint-not-used'],
      }),
    ).toEqual([]);
  });

  it.each(reloads)('%s: %s', (rule, _what, previous, current, options) => {
    expect(ruleIds(checkMediaPlaylist(current(), { ...options, previous: previous() }))).toEqual([rule]);
  });
});

/** Reloads of a live stream from MSN 100: every part, a segment every 5 parts, a 7-segment window. */
function* reloadsOf(count: number, deltaEvery = 0): Generator<{ text: string; delta: 'YES' | undefined }> {
  let next = 107;
  let open = 0;
  for (let i = 0; i < count; i++) {
    const delta = deltaEvery > 0 && i % deltaEvery === deltaEvery - 1;
    yield { text: live({ next, open, skip: delta ? 1 : 0 }), delta: delta ? 'YES' : undefined };
    if (open === PART_DURATIONS.length - 1) {
      next++;
      open = 0;
    } else {
      open++;
    }
  }
}

describe('PlaylistHistory', () => {
  it('a run of reloads with delta updates conforms', () => {
    const history = new PlaylistHistory();
    for (const { text, delta } of reloadsOf(40, 3)) {
      history.expectConforming(text, delta === undefined ? {} : { delta });
    }
    expect(history.length).toBe(40);
  });

  it('checks a short part again once it is no longer the latest', () => {
    const history = new PlaylistHistory();
    const shortLatest = edit(
      live({ next: 107, open: 2 }),
      'DURATION=0.480,URI="part107.1',
      'DURATION=0.200,URI="part107.1',
    );
    expect(history.check(shortLatest)).toEqual([]);
    const thenAnother = edit(
      live({ next: 107, open: 3 }),
      'DURATION=0.480,URI="part107.1',
      'DURATION=0.200,URI="part107.1',
    );
    expect(ruleIds(history.check(thenAnother))).toEqual(['part-under-85']);
  });

  it('catches PART-TARGET drifting across reloads (mediamtx 200→240→241 ms)', () => {
    const history = new PlaylistHistory();
    expect(history.check(live({ next: 107, open: 1 }))).toEqual([]);
    // gohlslib re-derives PART-TARGET from the longest part, and PART-HOLD-BACK with it.
    const drifted = edit(
      edit(live({ next: 107, open: 2 }), 'PART-TARGET=0.504', 'PART-TARGET=0.560'),
      'PART-HOLD-BACK=1.512',
      'PART-HOLD-BACK=1.680',
    );
    expect(ruleIds(history.check(drifted))).toEqual(['constant-part-target', 'constant-server-control']);
  });

  it('merges a delta update with the previous playlist: the EXT-X-MAP may be among the skipped tags', () => {
    const history = new PlaylistHistory();
    expect(history.check(live({ first: 100, next: 110, open: 1 }))).toEqual([]);
    expect(history.check(edit(DELTA, '#EXT-X-MAP:URI="init.mp4"\n', ''), { delta: 'YES' })).toEqual([]);
    expect(history.check(live({ first: 100, next: 110, open: 3 }))).toEqual([]);
  });

  it('remembers URIs across several reloads', () => {
    const history = new PlaylistHistory();
    for (const { text } of reloadsOf(12)) expect(history.check(text)).toEqual([]);
    // The 12th reload listed 102–108 and parts of 109; seg100.m4s left the window reloads ago.
    const reused = edit(live({ next: 110, open: 0 }), '\nseg109.m4s', '\nseg100.m4s');
    expect(ruleIds(history.check(reused))).toEqual(['uri-reused']);
  });
});

describe('checkMultivariantPlaylist: one mutation per rule', () => {
  const variant = (from: string | RegExp, to: string) => (): string => edit(MULTIVARIANT, from, to);
  const cases: Array<[rule: string, what: string, text: () => string]> = [
    ['codecs', 'no CODECS', variant('CODECS="avc1.640028,opus",', '')],
    ['codecs', 'an empty CODECS entry', variant('"avc1.640028,opus"', '"avc1.640028,"')],
    ['codecs', 'an AUDIO group but no audio codec', variant('"avc1.640028,opus"', '"avc1.640028"')],
    ['codecs-apple', 'avc3', variant('avc1.640028', 'avc3.640028')],
    ['resolution', 'no RESOLUTION', variant('RESOLUTION=1920x1080,', '')],
    ['frame-rate', 'no FRAME-RATE', variant('FRAME-RATE=25.000,', '')],
    ['frame-rate', 'FRAME-RATE with 4 decimals', variant('FRAME-RATE=25.000', 'FRAME-RATE=25.0000')],
    ['bandwidth', 'no BANDWIDTH', variant('BANDWIDTH=2800000,', '')],
    ['average-bandwidth', 'no AVERAGE-BANDWIDTH', variant('AVERAGE-BANDWIDTH=2200000,', '')],
    [
      'average-bandwidth',
      'AVERAGE-BANDWIDTH above BANDWIDTH',
      variant('AVERAGE-BANDWIDTH=2200000', 'AVERAGE-BANDWIDTH=3000000'),
    ],
    ['media-group', 'an AUDIO group that does not exist', variant('AUDIO="audio"', 'AUDIO="aac"')],
    [
      'media-group',
      'two DEFAULT renditions in a group',
      variant(
        /(#EXT-X-MEDIA[^\n]*\n)/,
        '$1#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Backup",DEFAULT=YES,URI="audio2.m3u8"\n',
      ),
    ],
    ['independent-segments', 'no INDEPENDENT-SEGMENTS', variant('#EXT-X-INDEPENDENT-SEGMENTS\n', '')],
    ['uri-relative', 'an absolute variant URI', variant('\nvideo.m3u8', '\nhttps://cam.example/video.m3u8')],
    [
      'version',
      'REQ-VIDEO-LAYOUT with version 6',
      variant('AUDIO="audio"', 'AUDIO="audio",REQ-VIDEO-LAYOUT="CH-STEREO"'),
    ],
    [
      'playlist-kind',
      'a media playlist tag',
      variant('#EXT-X-INDEPENDENT-SEGMENTS\n', '#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:2\n'),
    ],
    [
      'syntax',
      'a tag between STREAM-INF and its URI',
      variant('\nvideo.m3u8', '\n#EXT-X-SESSION-DATA:DATA-ID="x",VALUE="y"\nvideo.m3u8'),
    ],
  ];
  it.each(cases)('%s: %s', (rule, _what, text) => {
    expect(ruleIds(checkMultivariantPlaylist(text()))).toEqual([rule]);
  });

  const video = live({ next: 107, open: 2, report: 'audio.m3u8' });
  const audio = live({ next: 107, open: 2, prefix: 'a', report: 'video.m3u8' });
  const renditionCases: Array<[rule: string, what: string, video: string, audio: string]> = [
    ['version-mismatch', 'audio at version 9', video, edit(audio, 'VERSION:6', 'VERSION:9')],
    [
      'rendition-server-control',
      'another PART-HOLD-BACK in audio',
      video,
      edit(audio, 'PART-HOLD-BACK=1.512', 'PART-HOLD-BACK=1.600'),
    ],
    [
      'rendition-td',
      'TARGETDURATION 3 in audio',
      edit(video, 'CAN-SKIP-UNTIL=12.000', 'CAN-SKIP-UNTIL=18.000'),
      edit(edit(audio, 'TARGETDURATION:2', 'TARGETDURATION:3'), 'CAN-SKIP-UNTIL=12.000', 'CAN-SKIP-UNTIL=18.000'),
    ],
    ['rendition-report', 'audio without a report for video', video, edit(audio, /#EXT-X-RENDITION-REPORT[^\n]*\n/, '')],
  ];
  it.each(renditionCases)('across renditions, %s: %s', (rule, _what, videoText, audioText) => {
    const violations = checkMultivariantPlaylist(MULTIVARIANT, {
      mediaPlaylists: { 'video.m3u8': videoText, 'audio.m3u8': audioText },
    });
    expect(ruleIds(violations)).toEqual([rule]);
  });
});

describe('checkSegmentEqualsParts (§3.2)', () => {
  const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6)];
  it('accepts a segment that is its parts concatenated', () => {
    expect(checkSegmentEqualsParts(Uint8Array.of(1, 2, 3, 4, 5, 6), parts)).toEqual([]);
  });
  it.each([
    ['a differing byte', Uint8Array.of(1, 2, 3, 4, 9, 6), parts],
    ['a missing part', Uint8Array.of(1, 2, 3, 4, 5, 6), parts.slice(0, 2)],
    ['extra bytes in the segment', Uint8Array.of(1, 2, 3, 4, 5, 6, 7), parts],
    ['an empty part', Uint8Array.of(1, 2, 3, 4, 5, 6), [...parts, new Uint8Array(0)]],
    ['no parts', Uint8Array.of(1), []],
  ] as Array<[string, Uint8Array, Uint8Array[]]>)('reports %s', (_what, segment, given) => {
    expect(ruleIds(checkSegmentEqualsParts(segment, given))).toEqual(['segment-parts-mismatch']);
  });
  it('fuzz: the concatenation of any non-empty parts is accepted, any other byte string is not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 6 }),
        fc.uint8Array({ maxLength: 64 }),
        (given, other) => {
          const joined = Uint8Array.from(given.flatMap((p) => [...p]));
          expect(checkSegmentEqualsParts(joined, given)).toEqual([]);
          const same = other.length === joined.length && other.every((b, i) => b === joined[i]);
          expect(checkSegmentEqualsParts(other, given).length === 0).toBe(same);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('every rule is exercised', () => {
  it('by a mutation test above (except the checker-failure rules)', () => {
    const covered = new Set([
      ...singlePlaylist.map(([rule]) => rule),
      ...reloads.map(([rule]) => rule),
      'too-large',
      'segment-parts-mismatch',
    ]);
    for (const [rule] of [
      ['codecs'],
      ['codecs-apple'],
      ['resolution'],
      ['frame-rate'],
      ['bandwidth'],
      ['average-bandwidth'],
      ['media-group'],
      ['independent-segments'],
      ['version-mismatch'],
      ['rendition-td'],
      ['rendition-server-control'],
    ])
      covered.add(rule as string);
    const untested = Object.keys(PLAYLIST_RULES).filter((rule) => !covered.has(rule));
    expect(untested.sort()).toEqual(['internal', 'parser-agreement']);
  });
});

/** Lines the mutations draw from: real tags with odd values, so the fuzzer reaches deep into the rules. */
const TAG_POOL = [
  '#EXTM3U',
  '#EXT-X-VERSION:9',
  '#EXT-X-TARGETDURATION:0',
  '#EXT-X-MEDIA-SEQUENCE:99999999999999999999',
  '#EXT-X-DISCONTINUITY-SEQUENCE:3',
  '#EXT-X-DISCONTINUITY',
  '#EXT-X-GAP',
  '#EXT-X-ENDLIST',
  '#EXT-X-SKIP:SKIPPED-SEGMENTS=4',
  '#EXT-X-SKIP:SKIPPED-SEGMENTS=900,RECENTLY-REMOVED-DATERANGES=""',
  '#EXT-X-PART:DURATION=0.480,URI="part107.9.m4s"',
  '#EXT-X-PART:DURATION=,URI="',
  '#EXT-X-PART:GAP=YES,DURATION=0.1,URI="gap.m4s"',
  '#EXT-X-PART-INF:PART-TARGET=0',
  '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0,CAN-SKIP-UNTIL=1',
  '#EXT-X-PRELOAD-HINT:TYPE=MAP,URI="init2.mp4"',
  '#EXT-X-RENDITION-REPORT:URI="audio.m3u8",LAST-MSN=1,LAST-PART=99',
  '#EXT-X-RENDITION-REPORT:URI="::::",LAST-MSN=1',
  '#EXT-X-MAP:URI="init.mp4",BYTERANGE="1@0"',
  '#EXT-X-PROGRAM-DATE-TIME:2026-13-45T99:99:99.000Z',
  '#EXTINF:-1,',
  '#EXTINF:1e9,',
  '#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="a"',
  '#EXT-X-DATERANGE:ID="d",START-DATE="2026-05-01T12:00:00.000Z",X-COM-CAMGATE="1"',
  'seg999.m4s',
  '',
];

const mutatedPlaylist = (base: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
        fc.record({
          op: fc.constant('insert' as const),
          at: fc.nat(),
          line: fc.oneof(fc.constantFrom(...TAG_POOL), fc.string({ maxLength: 40 })),
        }),
        fc.record({
          op: fc.constant('char' as const),
          at: fc.nat(),
          char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
        }),
      ),
      { maxLength: 8 },
    )
    .map((ops) => {
      let lines = base.split('\n');
      for (const op of ops) {
        const at = op.at % Math.max(lines.length, 1);
        if (op.op === 'delete') lines.splice(at, 1);
        else if (op.op === 'duplicate') lines.splice(at, 0, lines[at] ?? '');
        else if (op.op === 'insert') lines.splice(at, 0, op.line);
        else {
          const text = lines.join('\n');
          const i = op.at % Math.max(text.length, 1);
          lines = (text.slice(0, i) + op.char + text.slice(i + 1)).split('\n');
        }
      }
      return lines.join('\n');
    });

const KNOWN_RULES = new Set(Object.keys(PLAYLIST_RULES));

/** Every violation names a known rule and none says the checker itself failed (one expect: fast). */
function expectWellFormed(violations: readonly RuleViolation[]): void {
  const bad = violations.filter(
    (v) => !KNOWN_RULES.has(v.rule) || v.rule === 'internal' || typeof v.message !== 'string',
  );
  expect(bad).toEqual([]);
}

/** Each input runs a few checks of ~0.5 ms each: allow 4 ms per input under `pnpm fuzz`. */
const FUZZ_TIMEOUT = fuzzTimeout(fuzzRuns() * 4);

describe('the checker never throws', () => {
  it(
    'fuzz: on random text',
    () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 400, unit: 'binary' }), fc.boolean(), (text, withHeader) => {
          const input = withHeader ? `#EXTM3U\n${text}` : text;
          expectWellFormed(checkMediaPlaylist(input));
          expectWellFormed(checkMultivariantPlaylist(input));
        }),
        { numRuns: fuzzRuns() },
      );
    },
    FUZZ_TIMEOUT,
  );

  const options: CheckOptions = { otherRenditions: ['audio.m3u8'], self: 'video.m3u8' };
  const deltaOption = fc.constantFrom<'YES' | 'v2' | undefined>(undefined, 'YES', 'v2');
  const withDelta = (delta: 'YES' | 'v2' | undefined): CheckOptions =>
    delta === undefined ? options : { ...options, delta };

  it(
    'fuzz: on mutated live and delta playlists, alone and against a previous one',
    () => {
      fc.assert(
        fc.property(
          mutatedPlaylist(LIVE),
          fc.oneof(mutatedPlaylist(CUR), mutatedPlaylist(DELTA)),
          deltaOption,
          (previous, current, delta) => {
            expectWellFormed(checkMediaPlaylist(current, withDelta(delta)));
            expectWellFormed(checkMediaPlaylist(current, { ...withDelta(delta), previous }));
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'fuzz: on a history of mutated reloads',
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.oneof(mutatedPlaylist(PREV), mutatedPlaylist(CUR), mutatedPlaylist(DELTA)), deltaOption),
            { maxLength: 4 },
          ),
          (reloads) => {
            const history = new PlaylistHistory();
            for (const [text, delta] of reloads) expectWellFormed(history.check(text, withDelta(delta)));
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'fuzz: on mutated multivariant playlists with their media playlists',
    () => {
      fc.assert(
        fc.property(mutatedPlaylist(MULTIVARIANT), mutatedPlaylist(CUR), (multivariant, video) => {
          expectWellFormed(checkMultivariantPlaylist(multivariant));
          expectWellFormed(
            checkMultivariantPlaylist(multivariant, { mediaPlaylists: { 'video.m3u8': video, 'audio.m3u8': DELTA } }),
          );
        }),
        { numRuns: fuzzRuns() },
      );
    },
    FUZZ_TIMEOUT,
  );
});
