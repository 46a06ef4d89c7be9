/**
 * An independent LL-HLS playlist rule checker: the test oracle the packager's tests run on every
 * playlist they produce. Test-only (test-*.ts is left out of the build).
 *
 * Sources, cited per rule in PLAYLIST_RULES:
 * - SPEC: draft-pantos-hls-rfc8216bis-22 (cited as §x.y);
 * - APPLE: the HLS authoring specification for Apple devices, where it says MUST;
 * - what hls.js 1.7 and Safari need (interop bugs listed in the team's LL-HLS reference).
 *
 * The checker reads the raw text with its own strict line parser (so presence, order and line
 * numbers are exact; m3u8-parser fills in derived defaults such as HOLD-BACK), then cross-checks
 * its reading against m3u8-parser 7.2.0. It never throws on bad input: text that cannot be read is
 * itself a violation. Rules that need the media bytes (segments start with an IDR, INDEPENDENT=YES
 * parts really start with one, tfdt continuity, CODECS matching the sample entries) are left to the
 * fMP4 tests; checkSegmentEqualsParts covers the one byte-level rule of LL-HLS (§3.2).
 */
import { Parser as M3u8Parser } from 'm3u8-parser';

export type RuleLevel = 'must' | 'should';

export interface RuleViolation {
  /** Stable id, a key of PLAYLIST_RULES. */
  rule: string;
  message: string;
  /** 1-based line of the playlist the violation is about, when it is about one line. */
  line?: number;
  /** 'must' breaks the spec, Apple's MUSTs or a player; 'should' breaks a SHOULD or a gateway choice. */
  level?: RuleLevel;
}

export interface CheckOptions {
  /** The previous version of the same playlist (reloads): for the constancy/monotonic/URI-stability rules. */
  previous?: string;
  /** Names of the other renditions that must be reported (RENDITION-REPORT URIs), e.g. ['audio.m3u8']. */
  otherRenditions?: readonly string[];
  /** Whether this is the answer to a request with _HLS_skip=YES|v2. */
  delta?: 'YES' | 'v2';
  /**
   * The URI of this playlist, relative to the same base as otherRenditions (e.g. 'video.m3u8').
   * Rendition reports are resolved against it and must not point at it.
   */
  self?: string;
  /** Rule ids to leave out of the result, e.g. ['min-segments'] for the first playlists of a stream. */
  allow?: readonly string[];
  /**
   * false: a standard live playlist (no low-latency delivery): blocking reloads and rendition
   * reports are not required, and no LL-HLS tag may appear (rule `standard-delivery`).
   */
  lowLatency?: boolean;
}

export interface MultivariantCheckOptions {
  /**
   * The media playlists the multivariant playlist references, by the URI written in it. Each one is
   * checked with checkMediaPlaylist (with its rendition reports), and across renditions: same
   * TARGETDURATION and SERVER-CONTROL (§6.2.4) and the same EXT-X-VERSION as the multivariant.
   */
  mediaPlaylists?: Readonly<Record<string, string>>;
  /** Rule ids to leave out of the result. */
  allow?: readonly string[];
  /** false: the media playlists are standard ones (see CheckOptions.lowLatency). */
  lowLatency?: boolean;
}

interface RuleInfo {
  readonly level: RuleLevel;
  readonly ref: string;
  readonly summary: string;
}

/** Every rule the checker knows: its level, where it comes from and what it asks. */
export const PLAYLIST_RULES = {
  // The checker itself
  'too-large': { level: 'must', ref: 'checker limit', summary: 'a playlist is at most 16 MiB of text' },
  internal: { level: 'must', ref: 'checker', summary: 'the checker failed on this input (a checker bug)' },
  'parser-agreement': {
    level: 'must',
    ref: 'm3u8-parser 7.2.0',
    summary: 'm3u8-parser reads the same segments, parts and numbers as this checker',
  },
  // Syntax (both kinds of playlist)
  encoding: { level: 'must', ref: '§4.1', summary: 'no BOM, no control characters, lines end in LF or CRLF' },
  extm3u: { level: 'must', ref: '§4.4.1.1', summary: 'the first line is #EXTM3U' },
  syntax: { level: 'must', ref: '§4.1, §4.2, §4.4', summary: 'tags, attribute lists and values are well formed' },
  unknown: { level: 'should', ref: '§6.3.1', summary: 'no unknown tag or attribute (clients ignore them: a typo)' },
  'duplicate-tag': { level: 'must', ref: '§4.4.1.2, §4.4.2, §4.4.3', summary: 'a tag allowed once appears once' },
  'playlist-kind': { level: 'must', ref: '§4.1', summary: 'media and multivariant tags are not mixed' },
  version: { level: 'must', ref: '§4.4.1.2, §8', summary: 'EXT-X-VERSION is present and high enough' },
  'uri-relative': {
    level: 'must',
    ref: '§4.4.5.4; gateway (per-session prefix, reverse proxies)',
    summary: 'every URI is relative (no scheme, no //host)',
  },
  // Media playlist header
  'playlist-type': { level: 'must', ref: '§6.2.2', summary: 'a live playlist has no EXT-X-PLAYLIST-TYPE' },
  'target-duration': { level: 'must', ref: '§4.4.3.1', summary: 'EXT-X-TARGETDURATION is an integer ≥ 1' },
  'media-sequence': {
    level: 'must',
    ref: '§6.2.2',
    summary: 'a live playlist (which drops segments) has EXT-X-MEDIA-SEQUENCE',
  },
  'discontinuity-sequence': {
    level: 'must',
    ref: '§6.2.2',
    summary:
      'EXT-X-DISCONTINUITY-SEQUENCE is present with discontinuities and keeps every DSN; later segments never count fewer',
  },
  'min-segments': {
    level: 'should',
    ref: 'APPLE 8.11; gohlslib "required by iOS LL-HLS"',
    summary: 'a full live playlist lists at least 6 segments',
  },
  // Segments
  'td-extinf': { level: 'must', ref: '§4.4.3.1', summary: 'round(EXTINF) ≤ TARGETDURATION' },
  'zero-duration': { level: 'should', ref: '§4.4.4.1', summary: 'segments and non-GAP parts last longer than 0' },
  gap: { level: 'must', ref: '§3.2, §6.2.1', summary: 'every part of an EXT-X-GAP segment is GAP=YES' },
  'tag-order': {
    level: 'must',
    ref: '§4.4.3.2, §4.4.3.3, §4.4.4.9',
    summary: 'DISCONTINUITY/MAP/PDT/KEY before the first part of their segment; sequences before segments',
  },
  'map-missing': { level: 'must', ref: '§3.1.2', summary: 'every segment and part has an EXT-X-MAP in scope' },
  'pdt-missing': {
    level: 'must',
    ref: 'App. B.1, APPLE 8.4; gateway: every segment',
    summary: 'every segment (and the open one) has EXT-X-PROGRAM-DATE-TIME',
  },
  'pdt-format': {
    level: 'must',
    ref: '§4.4.4.6',
    summary: 'PDT is ISO 8601 with milliseconds and a time zone',
  },
  'pdt-overlap': {
    level: 'must',
    ref: '§6.2.1',
    summary: 'consecutive PDTs go forward and overlap the previous segment by less than 1 s',
  },
  'pdt-gap': {
    level: 'should',
    ref: '§6.2.1, §6.2.4',
    summary: 'PDT jumps forward (over 1 s) only across EXT-X-DISCONTINUITY',
  },
  endlist: { level: 'must', ref: '§6.2.1', summary: 'no unfinished segment after EXT-X-ENDLIST' },
  'uri-duplicate': { level: 'must', ref: '§4.1, §6.3.4', summary: 'every segment and part has its own URI' },
  // Server control
  'can-block-reload': {
    level: 'must',
    ref: '§4.4.3.8, §6.2.5.2; LL-HLS clients block',
    summary: 'EXT-X-SERVER-CONTROL with CAN-BLOCK-RELOAD=YES',
  },
  'hold-back': { level: 'must', ref: '§4.4.3.8', summary: 'HOLD-BACK, when present, ≥ 3×TARGETDURATION' },
  'can-skip-until': {
    level: 'must',
    ref: '§4.4.3.8',
    summary: 'CAN-SKIP-UNTIL, when present, ≥ 6×TARGETDURATION; CAN-SKIP-DATERANGES needs it',
  },
  'part-hold-back': {
    level: 'must',
    ref: '§4.4.3.8 (2× MUST, 3× SHOULD), APPLE 14.3 (3× MUST), validator -50102',
    summary: 'PART-HOLD-BACK is present with parts and ≥ 3×PART-TARGET',
  },
  // Parts
  'part-inf': { level: 'must', ref: '§4.4.3.7', summary: 'EXT-X-PART-INF:PART-TARGET (> 0) when parts are listed' },
  'part-over-target': {
    level: 'must',
    ref: '§4.4.4.9; zap-stream-core#98',
    summary: 'every part DURATION ≤ PART-TARGET',
  },
  'part-under-85': {
    level: 'must',
    ref: '§4.4.4.9; gohlslib (iOS)',
    summary: 'every part ≥ 85% of PART-TARGET, except INDEPENDENT/GAP parts, parts before a GAP part, final parts',
  },
  'parts-sum': { level: 'must', ref: '§3.2', summary: 'a completed segment lasts as long as its parts together' },
  'parts-contiguous': {
    level: 'must',
    ref: '§6.2.1, §6.2.2',
    summary: 'once a segment has parts, every later segment has parts',
  },
  'parts-too-old': {
    level: 'should',
    ref: '§6.2.2',
    summary: 'parts are dropped once their segment ends more than 3×TARGETDURATION from the end',
  },
  'part-independent': {
    level: 'should',
    ref: '§4.4.4.9, App. B.1; hls.js starts at an INDEPENDENT part',
    summary: 'the first part of every segment carries INDEPENDENT=YES',
  },
  // Preload hints and rendition reports
  'preload-hint': {
    level: 'must',
    ref: '§4.4.5.3, §6.2.6, App. B.1',
    summary: 'one TYPE=PART hint (at most one per TYPE), none after ENDLIST, never a listed part',
  },
  'hint-not-used': {
    level: 'should',
    ref: '§4.4.5.3',
    summary: 'the next part added has the URI the previous playlist hinted',
  },
  'dangling-tag': {
    level: 'must',
    ref: '§4.4.4, §4.4.2',
    summary: 'media segment tags apply to a segment: none end the playlist without a part, hint or URI after them',
  },
  'standard-delivery': {
    level: 'must',
    ref: '§4.4.3.7-8, §4.4.5, §6.2.5',
    summary: 'a standard playlist announces no LL-HLS delivery (parts, hints, reports, blocking reloads)',
  },
  'rendition-report': {
    level: 'must',
    ref: '§4.4.5.4, App. B.1; validator -50125',
    summary: 'one report per other rendition with URI, LAST-MSN, LAST-PART; none for itself',
  },
  'rendition-report-sync': {
    level: 'should',
    ref: '§4.4.5.4, App. B.1',
    summary: 'a rendition report is within one part of this playlist (renditions in step)',
  },
  // Delta updates
  skip: {
    level: 'must',
    ref: '§4.4.5.2, §6.2.5.1',
    summary: 'EXT-X-SKIP exactly in answers to _HLS_skip (with CAN-SKIP-UNTIL, no ENDLIST), before all segments',
  },
  'skip-boundary': {
    level: 'must',
    ref: '§6.2.5.1',
    summary: 'only segments further than CAN-SKIP-UNTIL from the end are skipped',
  },
  'skip-too-few': {
    level: 'should',
    ref: '§6.2.5.1',
    summary: 'every segment further than CAN-SKIP-UNTIL from the end is skipped',
  },
  // Reloads
  'constant-td': { level: 'must', ref: '§6.2.1; mediamtx#5327', summary: 'TARGETDURATION never changes' },
  'constant-part-target': {
    level: 'must',
    ref: '§6.2.1 (no change but appends); mediamtx#5071',
    summary: 'PART-TARGET never changes',
  },
  'constant-server-control': {
    level: 'must',
    ref: '§6.2.1, §6.2.4; Apple -12642 (mediamtx#6237)',
    summary: 'EXT-X-SERVER-CONTROL never changes',
  },
  'msn-decreased': { level: 'must', ref: '§6.2.2', summary: 'EXT-X-MEDIA-SEQUENCE never decreases' },
  'uri-changed': { level: 'must', ref: '§6.2.1, §6.3.4', summary: 'a segment or part keeps its URI' },
  'duration-changed': { level: 'must', ref: '§6.2.1', summary: 'a segment or part keeps its duration' },
  'segment-changed': {
    level: 'must',
    ref: '§6.2.1',
    summary: 'a segment keeps its PDT, MAP, DISCONTINUITY and GAP; a part its INDEPENDENT and GAP',
  },
  'append-only': {
    level: 'must',
    ref: '§6.2.1, §6.2.2',
    summary: 'only appends at the end and removals from the head, in order',
  },
  'uri-reused': {
    level: 'must',
    ref: '§6.2.1; caches hold media 6×TD (App. B.1)',
    summary: 'a URI never names a different segment or part later',
  },
  'playlist-too-short': {
    level: 'must',
    ref: '§6.2.2',
    summary: 'a live playlist that drops segments keeps ≥ 3×TARGETDURATION of them',
  },
  // Multivariant
  codecs: {
    level: 'must',
    ref: '§4.4.6.2, §6.2.4, APPLE 9.x',
    summary: 'CODECS present, well formed, listing audio when an AUDIO group is used',
  },
  'codecs-apple': { level: 'should', ref: 'APPLE 1.10; movieclaw#430', summary: 'avc1/hvc1, not avc3/hev1' },
  resolution: { level: 'must', ref: '§4.4.6.2, APPLE 9.x', summary: 'RESOLUTION on every video variant' },
  'frame-rate': {
    level: 'must',
    ref: '§4.4.6.2, APPLE 9.x',
    summary: 'FRAME-RATE on every video variant, at most 3 decimals',
  },
  bandwidth: { level: 'must', ref: '§4.4.6.2', summary: 'BANDWIDTH on every variant, > 0' },
  'average-bandwidth': {
    level: 'must',
    ref: '§4.4.6.2, APPLE 9.x',
    summary: 'AVERAGE-BANDWIDTH on every variant, ≤ BANDWIDTH',
  },
  'media-group': {
    level: 'must',
    ref: '§4.4.6.1, §4.4.6.1.1, §4.4.6.2',
    summary: 'groups referenced exist; EXT-X-MEDIA attributes are consistent',
  },
  'independent-segments': {
    level: 'should',
    ref: 'APPLE 9.x (segments start with an IDR)',
    summary: 'the multivariant playlist has EXT-X-INDEPENDENT-SEGMENTS',
  },
  'version-mismatch': {
    level: 'should',
    ref: 'Akamai validator (mediamtx#5781)',
    summary: 'media playlists have the EXT-X-VERSION of the multivariant playlist',
  },
  'rendition-td': { level: 'must', ref: '§6.2.4', summary: 'every rendition has the same TARGETDURATION' },
  'rendition-server-control': {
    level: 'must',
    ref: '§6.2.4',
    summary: 'every rendition has the same EXT-X-SERVER-CONTROL',
  },
  // Media bytes
  'segment-parts-mismatch': {
    level: 'must',
    ref: '§3.2',
    summary: 'a completed segment is exactly its parts concatenated',
  },
} as const satisfies Record<string, RuleInfo>;

export type PlaylistRuleId = keyof typeof PLAYLIST_RULES;

/** 16 MiB: a camera's live LL-HLS playlist is a few KiB; 16 MiB is far beyond any real window. */
export const MAX_PLAYLIST_CHARS = 16 * 1024 * 1024;
/** 100 000 URIs: the URI-reuse memory of a PlaylistHistory (~hours of parts); the oldest are forgotten. */
const MAX_REMEMBERED_URIS = 100_000;
/** Float noise allowed when comparing durations written with a few decimals. */
const EPS = 1e-6;

// ---------------------------------------------------------------------------------------------
// Findings

class Findings {
  readonly list: RuleViolation[] = [];

  add(rule: PlaylistRuleId, message: string, line?: number): void {
    const violation: RuleViolation = { rule, level: PLAYLIST_RULES[rule].level, message };
    if (line !== undefined) violation.line = line;
    this.list.push(violation);
  }

  has(...rules: PlaylistRuleId[]): boolean {
    return this.list.some((v) => (rules as string[]).includes(v.rule));
  }

  result(allow: readonly string[] | undefined): RuleViolation[] {
    return allow === undefined ? this.list : this.list.filter((v) => !allow.includes(v.rule));
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// ---------------------------------------------------------------------------------------------
// Lines, tags and attribute lists (§4.1, §4.2)

type TagKind = 'basic' | 'both' | 'media' | 'segment' | 'metadata' | 'multivariant';
type TagValue = 'none' | 'int' | 'text' | 'attrs';

interface TagInfo {
  readonly kind: TagKind;
  readonly value: TagValue;
  /** The tag may appear at most once in a playlist. */
  readonly once?: boolean;
}

const TAGS: Readonly<Record<string, TagInfo>> = {
  EXTM3U: { kind: 'basic', value: 'none', once: true },
  'EXT-X-VERSION': { kind: 'basic', value: 'int', once: true },
  'EXT-X-INDEPENDENT-SEGMENTS': { kind: 'both', value: 'none', once: true },
  'EXT-X-START': { kind: 'both', value: 'attrs', once: true },
  'EXT-X-DEFINE': { kind: 'both', value: 'attrs' },
  'EXT-X-TARGETDURATION': { kind: 'media', value: 'int', once: true },
  'EXT-X-MEDIA-SEQUENCE': { kind: 'media', value: 'int', once: true },
  'EXT-X-DISCONTINUITY-SEQUENCE': { kind: 'media', value: 'int', once: true },
  'EXT-X-ENDLIST': { kind: 'media', value: 'none', once: true },
  'EXT-X-PLAYLIST-TYPE': { kind: 'media', value: 'text', once: true },
  'EXT-X-I-FRAMES-ONLY': { kind: 'media', value: 'none', once: true },
  'EXT-X-PART-INF': { kind: 'media', value: 'attrs', once: true },
  'EXT-X-SERVER-CONTROL': { kind: 'media', value: 'attrs', once: true },
  EXTINF: { kind: 'segment', value: 'text' },
  'EXT-X-BYTERANGE': { kind: 'segment', value: 'text' },
  'EXT-X-DISCONTINUITY': { kind: 'segment', value: 'none' },
  'EXT-X-KEY': { kind: 'segment', value: 'attrs' },
  'EXT-X-MAP': { kind: 'segment', value: 'attrs' },
  'EXT-X-PROGRAM-DATE-TIME': { kind: 'segment', value: 'text' },
  'EXT-X-GAP': { kind: 'segment', value: 'none' },
  'EXT-X-BITRATE': { kind: 'segment', value: 'int' },
  'EXT-X-PART': { kind: 'segment', value: 'attrs' },
  'EXT-X-DATERANGE': { kind: 'metadata', value: 'attrs' },
  'EXT-X-SKIP': { kind: 'metadata', value: 'attrs', once: true },
  'EXT-X-PRELOAD-HINT': { kind: 'metadata', value: 'attrs' },
  'EXT-X-RENDITION-REPORT': { kind: 'metadata', value: 'attrs' },
  'EXT-X-MEDIA': { kind: 'multivariant', value: 'attrs' },
  'EXT-X-STREAM-INF': { kind: 'multivariant', value: 'attrs' },
  'EXT-X-I-FRAME-STREAM-INF': { kind: 'multivariant', value: 'attrs' },
  'EXT-X-SESSION-DATA': { kind: 'multivariant', value: 'attrs' },
  'EXT-X-SESSION-KEY': { kind: 'multivariant', value: 'attrs' },
  'EXT-X-CONTENT-STEERING': { kind: 'multivariant', value: 'attrs', once: true },
};

const DEC_INT = /^\d{1,20}$/;
const DEC_FLOAT = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const SIGNED_FLOAT = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const HEX_SEQUENCE = /^0[xX][0-9A-Fa-f]+$/;
const DEC_RESOLUTION = /^\d{1,20}x\d{1,20}$/;
const ATTRIBUTE_NAME = /[A-Z0-9-]+/y;

interface Attr {
  readonly raw: string;
  readonly quoted: boolean;
}

/** A parsed attribute-list with typed, lenient getters (type errors are reported separately). */
class Attrs {
  constructor(readonly map: ReadonlyMap<string, Attr>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  raw(name: string): string | undefined {
    return this.map.get(name)?.raw;
  }

  quoted(name: string): string | undefined {
    const value = this.map.get(name);
    return value?.quoted === true ? value.raw : undefined;
  }

  number(name: string): number | undefined {
    const value = this.map.get(name);
    return value !== undefined && !value.quoted && DEC_FLOAT.test(value.raw) ? Number(value.raw) : undefined;
  }

  integer(name: string): number | undefined {
    const value = this.map.get(name);
    if (value === undefined || value.quoted || !DEC_INT.test(value.raw)) return undefined;
    const n = Number(value.raw);
    return Number.isSafeInteger(n) ? n : undefined;
  }

  yes(name: string): boolean {
    const value = this.map.get(name);
    return value !== undefined && !value.quoted && value.raw === 'YES';
  }
}

/** Parses an attribute-list per §4.2; returns the pairs read and the first syntax problem, if any. */
function parseAttributeList(text: string): { attrs: Attrs; problem: string | undefined } {
  const map = new Map<string, Attr>();
  let problem: string | undefined;
  let i = 0;
  if (text === '') return { attrs: new Attrs(map), problem: 'empty attribute-list' };
  while (i < text.length) {
    ATTRIBUTE_NAME.lastIndex = i;
    const name = ATTRIBUTE_NAME.exec(text)?.[0];
    if (name === undefined) {
      problem = `expected an AttributeName ([A-Z0-9-]) at column ${i + 1}`;
      break;
    }
    i += name.length;
    if (text[i] !== '=') {
      problem = `expected '=' after ${name}`;
      break;
    }
    i++;
    let value: Attr;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        problem = `unterminated quoted-string in ${name}`;
        break;
      }
      value = { raw: text.slice(i + 1, close), quoted: true };
      i = close + 1;
    } else {
      let end = text.indexOf(',', i);
      if (end < 0) end = text.length;
      const raw = text.slice(i, end);
      if (raw === '' || /["\s]/.test(raw)) {
        problem = `${name} has no valid value`;
        break;
      }
      value = { raw, quoted: false };
      i = end;
    }
    if (map.has(name)) problem ??= `${name} appears twice (§4.2)`;
    else map.set(name, value);
    if (i < text.length) {
      if (text[i] !== ',') {
        problem = `expected ',' after the value of ${name}`;
        break;
      }
      i++;
      if (i === text.length) problem = 'trailing comma';
    }
  }
  return { attrs: new Attrs(map), problem };
}

type AttrType =
  | 'int'
  | 'float'
  | 'signed-float'
  | 'quoted'
  | 'quoted-or-empty'
  | 'hex'
  | 'resolution'
  | 'quoted-or-NONE'
  | readonly string[];

interface AttrSpec {
  readonly type: AttrType;
  /** The rule reported when the attribute is missing (REQUIRED attributes only). */
  readonly required?: PlaylistRuleId;
}

const YES: readonly string[] = ['YES'];
const YES_NO: readonly string[] = ['YES', 'NO'];
const KEY_ATTRS: Readonly<Record<string, AttrSpec>> = {
  METHOD: { type: ['NONE', 'AES-128', 'SAMPLE-AES', 'SAMPLE-AES-CTR', 'AES-256-GCM'], required: 'syntax' },
  URI: { type: 'quoted' },
  IV: { type: 'hex' },
  KEYFORMAT: { type: 'quoted' },
  KEYFORMATVERSIONS: { type: 'quoted' },
};
const VARIANT_ATTRS: Readonly<Record<string, AttrSpec>> = {
  BANDWIDTH: { type: 'int', required: 'bandwidth' },
  'AVERAGE-BANDWIDTH': { type: 'int' },
  SCORE: { type: 'float' },
  CODECS: { type: 'quoted' },
  'SUPPLEMENTAL-CODECS': { type: 'quoted' },
  RESOLUTION: { type: 'resolution' },
  'HDCP-LEVEL': { type: ['TYPE-0', 'TYPE-1', 'NONE'] },
  'ALLOWED-CPC': { type: 'quoted' },
  'VIDEO-RANGE': { type: ['SDR', 'HLG', 'PQ'] },
  'REQ-VIDEO-LAYOUT': { type: 'quoted' },
  'STABLE-VARIANT-ID': { type: 'quoted' },
  VIDEO: { type: 'quoted' },
  'PATHWAY-ID': { type: 'quoted' },
  'PROGRAM-ID': { type: 'int' },
};

/** Attribute types per tag (§4.4); attributes not listed are 'unknown'. */
const ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, AttrSpec>>>> = {
  'EXT-X-START': { 'TIME-OFFSET': { type: 'signed-float', required: 'syntax' }, PRECISE: { type: YES_NO } },
  'EXT-X-DEFINE': {
    NAME: { type: 'quoted' },
    VALUE: { type: 'quoted-or-empty' },
    IMPORT: { type: 'quoted' },
    QUERYPARAM: { type: 'quoted' },
  },
  'EXT-X-PART-INF': { 'PART-TARGET': { type: 'float', required: 'part-inf' } },
  'EXT-X-SERVER-CONTROL': {
    'CAN-SKIP-UNTIL': { type: 'float' },
    'CAN-SKIP-DATERANGES': { type: YES },
    'HOLD-BACK': { type: 'float' },
    'PART-HOLD-BACK': { type: 'float' },
    'CAN-BLOCK-RELOAD': { type: YES },
  },
  'EXT-X-KEY': KEY_ATTRS,
  'EXT-X-SESSION-KEY': KEY_ATTRS,
  'EXT-X-MAP': { URI: { type: 'quoted', required: 'syntax' }, BYTERANGE: { type: 'quoted' } },
  'EXT-X-PART': {
    URI: { type: 'quoted', required: 'syntax' },
    DURATION: { type: 'float', required: 'syntax' },
    INDEPENDENT: { type: YES },
    BYTERANGE: { type: 'quoted' },
    GAP: { type: YES },
  },
  'EXT-X-DATERANGE': {
    ID: { type: 'quoted', required: 'syntax' },
    CLASS: { type: 'quoted' },
    'START-DATE': { type: 'quoted' },
    CUE: { type: 'quoted' },
    'END-DATE': { type: 'quoted' },
    DURATION: { type: 'float' },
    'PLANNED-DURATION': { type: 'float' },
    'SCTE35-CMD': { type: 'hex' },
    'SCTE35-OUT': { type: 'hex' },
    'SCTE35-IN': { type: 'hex' },
    'END-ON-NEXT': { type: YES },
  },
  'EXT-X-SKIP': {
    'SKIPPED-SEGMENTS': { type: 'int', required: 'skip' },
    'RECENTLY-REMOVED-DATERANGES': { type: 'quoted-or-empty' },
  },
  'EXT-X-PRELOAD-HINT': {
    TYPE: { type: ['PART', 'MAP'], required: 'preload-hint' },
    URI: { type: 'quoted', required: 'preload-hint' },
    'BYTERANGE-START': { type: 'int' },
    'BYTERANGE-LENGTH': { type: 'int' },
  },
  'EXT-X-RENDITION-REPORT': {
    URI: { type: 'quoted', required: 'rendition-report' },
    'LAST-MSN': { type: 'int' },
    'LAST-PART': { type: 'int' },
  },
  'EXT-X-MEDIA': {
    TYPE: { type: ['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'], required: 'media-group' },
    URI: { type: 'quoted' },
    'GROUP-ID': { type: 'quoted', required: 'media-group' },
    LANGUAGE: { type: 'quoted' },
    'ASSOC-LANGUAGE': { type: 'quoted' },
    NAME: { type: 'quoted', required: 'media-group' },
    'STABLE-RENDITION-ID': { type: 'quoted' },
    DEFAULT: { type: YES_NO },
    AUTOSELECT: { type: YES_NO },
    FORCED: { type: YES_NO },
    'INSTREAM-ID': { type: 'quoted' },
    'BIT-DEPTH': { type: 'int' },
    'SAMPLE-RATE': { type: 'int' },
    CHARACTERISTICS: { type: 'quoted' },
    CHANNELS: { type: 'quoted' },
  },
  'EXT-X-STREAM-INF': {
    ...VARIANT_ATTRS,
    'FRAME-RATE': { type: 'float' },
    AUDIO: { type: 'quoted' },
    SUBTITLES: { type: 'quoted' },
    'CLOSED-CAPTIONS': { type: 'quoted-or-NONE' },
  },
  'EXT-X-I-FRAME-STREAM-INF': { ...VARIANT_ATTRS, URI: { type: 'quoted', required: 'syntax' } },
  'EXT-X-SESSION-DATA': {
    'DATA-ID': { type: 'quoted', required: 'syntax' },
    VALUE: { type: 'quoted' },
    URI: { type: 'quoted' },
    FORMAT: { type: ['JSON', 'RAW'] },
    LANGUAGE: { type: 'quoted' },
  },
  'EXT-X-CONTENT-STEERING': { 'SERVER-URI': { type: 'quoted', required: 'syntax' }, 'PATHWAY-ID': { type: 'quoted' } },
};

function typeProblem(type: AttrType, value: Attr): string | undefined {
  const { raw, quoted } = value;
  if (typeof type !== 'string') {
    return !quoted && type.includes(raw)
      ? undefined
      : `must be one of ${type.join('|')} (an unknown value makes clients ignore the tag, §6.3.1)`;
  }
  switch (type) {
    case 'int':
      if (quoted || !DEC_INT.test(raw)) return 'is not a decimal-integer';
      return Number.isSafeInteger(Number(raw)) ? undefined : 'is beyond 2^53 (players parse it as a double)';
    case 'float':
      return !quoted && DEC_FLOAT.test(raw) ? undefined : 'is not a decimal-floating-point';
    case 'signed-float':
      return !quoted && SIGNED_FLOAT.test(raw) ? undefined : 'is not a signed-decimal-floating-point';
    case 'quoted':
      return quoted && raw !== '' ? undefined : 'is not a non-empty quoted-string';
    case 'quoted-or-empty':
      return quoted ? undefined : 'is not a quoted-string';
    case 'hex':
      return !quoted && HEX_SEQUENCE.test(raw) ? undefined : 'is not a hexadecimal-sequence';
    case 'resolution':
      return !quoted && DEC_RESOLUTION.test(raw) ? undefined : 'is not a decimal-resolution';
    case 'quoted-or-NONE':
      return (quoted && raw !== '') || (!quoted && raw === 'NONE') ? undefined : 'is neither a quoted-string nor NONE';
  }
}

interface TagToken {
  readonly kind: 'tag';
  readonly name: string;
  readonly value: string | undefined;
  readonly line: number;
  /** The attribute-list, for tags whose value is one (empty when it could not be read). */
  readonly attrs: Attrs;
}

interface UriToken {
  readonly kind: 'uri';
  readonly uri: string;
  readonly line: number;
}

type Token = TagToken | UriToken;

const EMPTY_ATTRS = new Attrs(new Map());

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Splits a playlist into tag and URI tokens, reporting what §4.1/§4.2 forbid: encoding problems,
 * a missing #EXTM3U, whitespace, malformed values and attribute lists, unknown or repeated tags.
 */
function tokenize(text: string, f: Findings): Token[] | undefined {
  if (text.length > MAX_PLAYLIST_CHARS) {
    f.add('too-large', `the playlist has ${text.length} characters; the checker reads at most ${MAX_PLAYLIST_CHARS}`);
    return undefined;
  }
  let body = text;
  if (body.startsWith('\uFEFF')) {
    f.add('encoding', 'the playlist starts with a byte order mark (§4.1 forbids it)', 1);
    body = body.slice(1);
  }
  // Tabs are allowed: RECENTLY-REMOVED-DATERANGES is a tab-delimited quoted-string (§4.4.5.2).
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/.exec(body);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    f.add(
      'encoding',
      `control character U+${code} (only LF and CRLF line ends are allowed, §4.1)`,
      lineOf(body, control.index),
    );
  }
  const surrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(body);
  if (surrogate !== null)
    f.add('encoding', 'a lone UTF-16 surrogate cannot be encoded as UTF-8 (§4.1)', lineOf(body, surrogate.index));

  const lines = body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines[0]?.trim() !== '#EXTM3U')
    f.add('extm3u', `the first line must be #EXTM3U (§4.4.1.1), not ${JSON.stringify(lines[0]?.slice(0, 40))}`, 1);

  const tokens: Token[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    const text = raw.trim();
    if (text !== raw) f.add('syntax', 'whitespace at the start or end of a line (§4.1)', line);
    if (text === '') return;
    if (!text.startsWith('#')) {
      tokens.push({ kind: 'uri', uri: text, line });
      return;
    }
    if (!text.startsWith('#EXT')) return; // a comment
    const colon = text.indexOf(':');
    const name = colon < 0 ? text.slice(1) : text.slice(1, colon);
    const value = colon < 0 ? undefined : text.slice(colon + 1);
    const info = TAGS[name];
    if (info === undefined) {
      f.add('unknown', `unknown tag #${name} (clients ignore it)`, line);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined && info.once === true)
      f.add('duplicate-tag', `#${name} appears again (first at line ${first})`, line);
    if (first === undefined) seen.set(name, line);

    let attrs = EMPTY_ATTRS;
    if (info.value === 'none') {
      if (value !== undefined) f.add('syntax', `#${name} takes no value`, line);
    } else if (value === undefined || value === '') {
      f.add('syntax', `#${name} needs a value`, line);
    } else if (info.value === 'int') {
      if (!DEC_INT.test(value) || !Number.isSafeInteger(Number(value)))
        f.add('syntax', `#${name}:${value} is not a decimal-integer below 2^53`, line);
    } else if (info.value === 'attrs') {
      const parsed = parseAttributeList(value);
      attrs = parsed.attrs;
      if (parsed.problem !== undefined) f.add('syntax', `#${name}: ${parsed.problem}`, line);
      checkAttributeTypes(name, attrs, line, f);
    }
    tokens.push({ kind: 'tag', name, value, line, attrs });
  });
  return tokens;
}

function checkAttributeTypes(tag: string, attrs: Attrs, line: number, f: Findings): void {
  const schema = ATTRIBUTES[tag];
  if (schema === undefined) return;
  for (const [name, value] of attrs.map) {
    const spec = schema[name];
    if (spec === undefined) {
      if (tag === 'EXT-X-DATERANGE' && name.startsWith('X-')) {
        const ok =
          (value.quoted && value.raw !== '') ||
          (!value.quoted && (HEX_SEQUENCE.test(value.raw) || SIGNED_FLOAT.test(value.raw)));
        if (!ok) f.add('syntax', `#${tag} ${name} is not a quoted-string, hexadecimal-sequence or number`, line);
      } else {
        const why = name.startsWith('REQ-') ? ': clients ignore the whole tag (§6.3.1)' : '';
        f.add('unknown', `#${tag} has an unknown attribute ${name}${why}`, line);
      }
      continue;
    }
    const problem = typeProblem(spec.type, value);
    if (problem !== undefined)
      f.add('syntax', `#${tag} ${name}=${value.quoted ? `"${value.raw}"` : value.raw} ${problem}`, line);
  }
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.required !== undefined && !attrs.has(name))
      f.add(spec.required, `#${tag} lacks the REQUIRED attribute ${name}`, line);
  }
}

// ---------------------------------------------------------------------------------------------
// URIs

const RESOLUTION_BASE = 'http://camgate.invalid/';

function isRelative(uri: string): boolean {
  return !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !uri.startsWith('//');
}

/** Resolves `uri` against `against` (itself relative to a fixed base); undefined when it is not a URI. */
function resolve(uri: string, against = ''): string | undefined {
  try {
    return new URL(uri, new URL(against, RESOLUTION_BASE)).href;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The media playlist model

interface Pdt {
  readonly raw: string;
  /** Milliseconds since the epoch; NaN when the value is not a valid date-time. */
  readonly ms: number;
  readonly line: number;
}

interface Part {
  readonly uri: string;
  /** NaN when DURATION is missing or malformed (already reported). */
  readonly duration: number;
  readonly independent: boolean;
  readonly gap: boolean;
  readonly line: number;
}

interface SegmentTags {
  parts: Part[];
  discontinuity: boolean;
  gap: boolean;
  pdt: Pdt | undefined;
  /** URI of the EXT-X-MAP in scope; undefined when none is. */
  map: string | undefined;
  /** The first line of the segment's tags. */
  firstLine: number;
}

interface Segment extends SegmentTags {
  msn: number;
  readonly uri: string;
  /** EXT-X-BYTERANGE as written (a sub-range of the URI's resource, §4.4.4.2), if any. */
  readonly byteRange?: string;
  readonly duration: number;
  readonly line: number;
  readonly extinfLine: number;
}

interface OpenSegment extends SegmentTags {
  msn: number;
}

interface Hint {
  readonly type: string | undefined;
  readonly uri: string | undefined;
  readonly line: number;
}

interface Report {
  readonly uri: string | undefined;
  readonly lastMsn: number | undefined;
  readonly lastPart: number | undefined;
  readonly hasLastMsn: boolean;
  readonly hasLastPart: boolean;
  readonly line: number;
}

interface VersionNeed {
  readonly version: number;
  readonly why: string;
  readonly line: number;
}

interface MediaModel {
  version: number | undefined;
  versionLine: number | undefined;
  targetDuration: number | undefined;
  targetDurationLine: number | undefined;
  mediaSequence: number;
  hasMediaSequence: boolean;
  discontinuitySequence: number;
  hasDiscontinuitySequence: boolean;
  partTarget: number | undefined;
  partInfLine: number | undefined;
  serverControl: Attrs | undefined;
  serverControlLine: number | undefined;
  skip: { skipped: number; removedDateranges: boolean; line: number } | undefined;
  endlistLine: number | undefined;
  playlistType: { value: string; line: number } | undefined;
  segments: Segment[];
  open: OpenSegment | undefined;
  hints: Hint[];
  reports: Report[];
  hasDiscontinuity: boolean;
  iFramesOnly: boolean;
  mapLines: number[];
  multivariantTagLine: number | undefined;
  versionNeeds: VersionNeed[];
}

interface Block {
  extinf: { duration: number; line: number } | undefined;
  parts: Part[];
  discontinuity: boolean;
  gap: boolean;
  pdt: Pdt | undefined;
  firstLine: number | undefined;
  byteRange?: string;
}

function newBlock(): Block {
  return { extinf: undefined, parts: [], discontinuity: false, gap: false, pdt: undefined, firstLine: undefined };
}

const PDT_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3,}(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Milliseconds of an ISO 8601 date-time with ms and zone; NaN unless every field is in range (Date.parse rolls 02-30 over). */
function pdtMillis(value: string): number {
  const match = PDT_FORMAT.exec(value);
  if (match === null) return Number.NaN;
  const field = (i: number): number => Number(match[i] ?? '0');
  const [year, month, day] = [field(1), field(2), field(3)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const inRange =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    field(4) <= 23 &&
    field(5) <= 59 &&
    field(6) <= 59 &&
    field(7) <= 23 &&
    field(8) <= 59;
  return inRange ? Date.parse(value) : Number.NaN;
}

function parsePdt(value: string, line: number, f: Findings): Pdt {
  const ms = pdtMillis(value);
  if (!Number.isFinite(ms)) {
    f.add(
      'pdt-format',
      `EXT-X-PROGRAM-DATE-TIME:${value} is not ISO 8601 with milliseconds and a zone (YYYY-MM-DDThh:mm:ss.SSSZ)`,
      line,
    );
  }
  return { raw: value, ms, line };
}

/** Reads a media playlist into a model, reporting syntax and tag-order problems on the way. */
function analyzeMedia(tokens: readonly Token[], f: Findings): MediaModel {
  const m: MediaModel = {
    version: undefined,
    versionLine: undefined,
    targetDuration: undefined,
    targetDurationLine: undefined,
    mediaSequence: 0,
    hasMediaSequence: false,
    discontinuitySequence: 0,
    hasDiscontinuitySequence: false,
    partTarget: undefined,
    partInfLine: undefined,
    serverControl: undefined,
    serverControlLine: undefined,
    skip: undefined,
    endlistLine: undefined,
    playlistType: undefined,
    segments: [],
    open: undefined,
    hints: [],
    reports: [],
    hasDiscontinuity: false,
    iFramesOnly: false,
    mapLines: [],
    multivariantTagLine: undefined,
    versionNeeds: [],
  };
  const need = (version: number, why: string, line: number): void => {
    m.versionNeeds.push({ version, why, line });
  };
  let block = newBlock();
  let map: string | undefined;
  let sawMedia = false; // a segment or part has been listed
  let firstDiscontinuityLine: number | undefined;

  for (const token of tokens) {
    if (token.kind === 'uri') {
      if (token.uri.includes('{$')) need(8, 'a variable reference', token.line);
      if (block.extinf === undefined) {
        f.add('syntax', 'a URI line without an EXTINF before it (§4.4.4.1)', token.line);
      } else {
        m.segments.push({
          msn: 0,
          uri: token.uri,
          ...(block.byteRange === undefined ? {} : { byteRange: block.byteRange }),
          duration: block.extinf.duration,
          line: token.line,
          extinfLine: block.extinf.line,
          parts: block.parts,
          discontinuity: block.discontinuity,
          gap: block.gap,
          pdt: block.pdt,
          map,
          firstLine: block.firstLine ?? block.extinf.line,
        });
        sawMedia = true;
      }
      block = newBlock();
      continue;
    }
    const { name, value, line, attrs } = token;
    if (TAGS[name]?.kind === 'multivariant') {
      m.multivariantTagLine ??= line;
      continue;
    }
    for (const [attrName, attr] of attrs.map) {
      if (attrName.startsWith('REQ-')) need(12, `the ${attrName} attribute`, line);
      if (attr.quoted && attr.raw.includes('{$')) need(8, 'a variable reference', line);
    }
    const segmentTag = TAGS[name]?.kind === 'segment';
    if (segmentTag) block.firstLine ??= line;
    const afterParts = (): void => {
      const firstPart = block.parts[0];
      if (firstPart !== undefined) {
        f.add(
          'tag-order',
          `#${name} after the first EXT-X-PART of its segment (line ${firstPart.line}); it must come before it (§4.4.4.9)`,
          line,
        );
      }
    };
    switch (name) {
      case 'EXT-X-VERSION':
        m.version = Number(value);
        m.versionLine = line;
        break;
      case 'EXT-X-TARGETDURATION':
        m.targetDuration = value !== undefined && DEC_INT.test(value) ? Number(value) : Number.NaN;
        m.targetDurationLine = line;
        break;
      case 'EXT-X-MEDIA-SEQUENCE':
        if (sawMedia || block.firstLine !== undefined)
          f.add('tag-order', 'EXT-X-MEDIA-SEQUENCE must appear before the first segment (§4.4.3.2)', line);
        m.mediaSequence = value !== undefined && DEC_INT.test(value) ? Number(value) : 0;
        m.hasMediaSequence = true;
        break;
      case 'EXT-X-DISCONTINUITY-SEQUENCE':
        if (sawMedia || block.firstLine !== undefined)
          f.add('tag-order', 'EXT-X-DISCONTINUITY-SEQUENCE must appear before the first segment (§4.4.3.3)', line);
        else if (firstDiscontinuityLine !== undefined)
          f.add(
            'tag-order',
            'EXT-X-DISCONTINUITY-SEQUENCE must appear before any EXT-X-DISCONTINUITY (§4.4.3.3)',
            line,
          );
        m.discontinuitySequence = value !== undefined && DEC_INT.test(value) ? Number(value) : 0;
        m.hasDiscontinuitySequence = true;
        break;
      case 'EXT-X-ENDLIST':
        m.endlistLine = line;
        break;
      case 'EXT-X-PLAYLIST-TYPE':
        if (value !== 'EVENT' && value !== 'VOD')
          f.add('syntax', `EXT-X-PLAYLIST-TYPE:${value ?? ''} is neither EVENT nor VOD`, line);
        m.playlistType = { value: value ?? '', line };
        break;
      case 'EXT-X-I-FRAMES-ONLY':
        m.iFramesOnly = true;
        need(4, 'EXT-X-I-FRAMES-ONLY', line);
        break;
      case 'EXT-X-PART-INF':
        m.partInfLine = line;
        m.partTarget = attrs.number('PART-TARGET');
        break;
      case 'EXT-X-SERVER-CONTROL':
        m.serverControl = attrs;
        m.serverControlLine = line;
        break;
      case 'EXT-X-DEFINE':
        need(8, 'EXT-X-DEFINE', line);
        if (attrs.has('QUERYPARAM')) need(11, 'EXT-X-DEFINE with QUERYPARAM', line);
        break;
      case 'EXTINF': {
        if (block.extinf !== undefined)
          f.add('syntax', `EXTINF without a URI line before the next EXTINF (line ${block.extinf.line})`, line);
        const text = value ?? '';
        const comma = text.indexOf(',');
        if (comma < 0) f.add('syntax', 'EXTINF needs a comma after the duration (#EXTINF:<duration>,[<title>])', line);
        const raw = comma < 0 ? text : text.slice(0, comma);
        if (!DEC_FLOAT.test(raw))
          f.add('syntax', `EXTINF duration ${JSON.stringify(raw)} is not a decimal number`, line);
        else if (raw.includes('.')) need(3, 'a decimal EXTINF duration', line);
        block.extinf = { duration: DEC_FLOAT.test(raw) ? Number(raw) : Number.NaN, line };
        break;
      }
      case 'EXT-X-PART':
        if (block.extinf !== undefined)
          f.add(
            'tag-order',
            'EXT-X-PART between an EXTINF and its URI line: parts come before their parent EXTINF (§3.2)',
            line,
          );
        block.parts.push({
          uri: attrs.quoted('URI') ?? '',
          duration: attrs.number('DURATION') ?? Number.NaN,
          independent: attrs.yes('INDEPENDENT'),
          gap: attrs.yes('GAP'),
          line,
        });
        break;
      case 'EXT-X-DISCONTINUITY':
        afterParts();
        block.discontinuity = true;
        m.hasDiscontinuity = true;
        firstDiscontinuityLine ??= line;
        break;
      case 'EXT-X-MAP':
        afterParts();
        map = attrs.quoted('URI') ?? map;
        m.mapLines.push(line);
        break;
      case 'EXT-X-PROGRAM-DATE-TIME':
        afterParts();
        block.pdt = parsePdt(value ?? '', line, f);
        break;
      case 'EXT-X-KEY':
        afterParts();
        if (attrs.has('IV')) need(2, 'the IV attribute', line);
        if (attrs.has('KEYFORMAT') || attrs.has('KEYFORMATVERSIONS')) need(5, 'KEYFORMAT/KEYFORMATVERSIONS', line);
        if (attrs.raw('METHOD') === 'SAMPLE-AES') need(5, 'METHOD=SAMPLE-AES', line);
        break;
      case 'EXT-X-GAP':
        block.gap = true;
        break;
      case 'EXT-X-BYTERANGE':
        need(4, 'EXT-X-BYTERANGE', line);
        if (!/^\d{1,20}(?:@\d{1,20})?$/.test(value ?? '')) f.add('syntax', 'EXT-X-BYTERANGE is not <n>[@<o>]', line);
        block.byteRange = value ?? '';
        break;
      case 'EXT-X-SKIP': {
        if (sawMedia || block.firstLine !== undefined)
          f.add('skip', 'EXT-X-SKIP must come before every segment: it replaces the first ones (§4.4.5.2)', line);
        const removedDateranges = attrs.has('RECENTLY-REMOVED-DATERANGES');
        m.skip = { skipped: attrs.integer('SKIPPED-SEGMENTS') ?? 0, removedDateranges, line };
        need(
          removedDateranges ? 10 : 9,
          removedDateranges ? 'EXT-X-SKIP with RECENTLY-REMOVED-DATERANGES' : 'EXT-X-SKIP',
          line,
        );
        break;
      }
      case 'EXT-X-PRELOAD-HINT':
        m.hints.push({ type: attrs.raw('TYPE'), uri: attrs.quoted('URI'), line });
        break;
      case 'EXT-X-RENDITION-REPORT':
        m.reports.push({
          uri: attrs.quoted('URI'),
          lastMsn: attrs.integer('LAST-MSN'),
          lastPart: attrs.integer('LAST-PART'),
          hasLastMsn: attrs.has('LAST-MSN'),
          hasLastPart: attrs.has('LAST-PART'),
          line,
        });
        break;
      default:
        break;
    }
  }
  if (block.extinf !== undefined) f.add('syntax', 'the last EXTINF has no URI line', block.extinf.line);
  // Tags of a segment whose first part is only hinted yet (EXT-X-PRELOAD-HINT) have their segment.
  else if (block.parts.length === 0 && block.firstLine !== undefined && !m.hints.some((h) => h.type === 'PART'))
    f.add(
      'dangling-tag',
      `media segment tags from line ${block.firstLine} belong to no segment or part`,
      block.firstLine,
    );
  if (block.parts.length > 0) {
    m.open = {
      msn: 0,
      parts: block.parts,
      discontinuity: block.discontinuity,
      gap: block.gap,
      pdt: block.pdt,
      map,
      firstLine: block.firstLine ?? 0,
    };
  }
  if (m.mapLines.length > 0) need(m.iFramesOnly ? 5 : 6, 'EXT-X-MAP', m.mapLines[0] ?? 0);
  numberSegments(m);
  return m;
}

function numberSegments(m: MediaModel): void {
  const first = m.mediaSequence + (m.skip?.skipped ?? 0);
  m.segments.forEach((segment, i) => (segment.msn = first + i));
  if (m.open !== undefined) m.open.msn = first + m.segments.length;
}

function parseMediaText(text: string, f: Findings): MediaModel | undefined {
  const tokens = tokenize(text, f);
  return tokens === undefined ? undefined : analyzeMedia(tokens, f);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function validTargetDuration(m: MediaModel): number | undefined {
  const td = m.targetDuration;
  return td !== undefined && Number.isFinite(td) && td >= 1 ? td : undefined;
}

function allParts(m: MediaModel): Array<{ msn: number; index: number; part: Part }> {
  const list: Array<{ msn: number; index: number; part: Part }> = [];
  for (const holder of [...m.segments, ...(m.open === undefined ? [] : [m.open])]) {
    holder.parts.forEach((part, index) => list.push({ msn: holder.msn, index, part }));
  }
  return list;
}

/** The last (MSN, part index) of a playlist, as its own rendition report would say (§4.4.5.4). */
function lastPosition(m: MediaModel): { msn: number; part: number | undefined } | undefined {
  if (m.open !== undefined) return { msn: m.open.msn, part: m.open.parts.length - 1 };
  const last = m.segments.at(-1);
  if (last === undefined)
    return m.skip !== undefined && m.skip.skipped > 0
      ? { msn: m.mediaSequence + m.skip.skipped - 1, part: undefined }
      : undefined;
  return { msn: last.msn, part: last.parts.length > 0 ? last.parts.length - 1 : undefined };
}

// ---------------------------------------------------------------------------------------------
// Rules on one media playlist

function checkMediaRules(m: MediaModel, options: CheckOptions, f: Findings): void {
  const live = m.endlistLine === undefined;
  const td = validTargetDuration(m);

  if (m.multivariantTagLine !== undefined)
    f.add('playlist-kind', 'a multivariant playlist tag in a media playlist (§4.1)', m.multivariantTagLine);

  // Header
  if (m.targetDuration === undefined) f.add('target-duration', 'EXT-X-TARGETDURATION is missing (REQUIRED, §4.4.3.1)');
  else if (Number.isFinite(m.targetDuration) && m.targetDuration < 1)
    f.add('target-duration', `EXT-X-TARGETDURATION:${m.targetDuration} is below 1`, m.targetDurationLine);
  checkVersion(m.version, m.versionLine, m.versionNeeds, f);
  if (m.playlistType !== undefined && live) {
    f.add(
      'playlist-type',
      `EXT-X-PLAYLIST-TYPE:${m.playlistType.value} in a live playlist: no type allows removing segments (§6.2.2)`,
      m.playlistType.line,
    );
  }
  if (live && !m.hasMediaSequence)
    f.add('media-sequence', 'a live playlist drops segments, so it needs EXT-X-MEDIA-SEQUENCE (§6.2.2)');
  if (live && m.hasDiscontinuity && !m.hasDiscontinuitySequence) {
    f.add(
      'discontinuity-sequence',
      'a live playlist with EXT-X-DISCONTINUITY needs EXT-X-DISCONTINUITY-SEQUENCE before it drops segments (§6.2.2)',
    );
  }
  if (live && m.skip === undefined && m.segments.length < 6) {
    f.add(
      'min-segments',
      `a live playlist lists ${m.segments.length} complete segments; Apple (8.11) and iOS need at least 6 (gohlslib prepends GAP segments)`,
    );
  }

  // Segments
  for (const s of m.segments) {
    if (td !== undefined && Math.round(s.duration) > td) {
      f.add(
        'td-extinf',
        `EXTINF:${s.duration} rounds to ${Math.round(s.duration)} > TARGETDURATION ${td} (§4.4.3.1)`,
        s.extinfLine,
      );
    }
    if (s.duration <= 0) f.add('zero-duration', `segment ${s.msn} lasts ${s.duration} s`, s.extinfLine);
    if (s.gap) {
      const notGap = s.parts.find((p) => !p.gap);
      if (notGap !== undefined)
        f.add(
          'gap',
          `segment ${s.msn} is EXT-X-GAP but its part at line ${notGap.line} is not GAP=YES (§3.2: the same samples)`,
          notGap.line,
        );
    }
  }

  checkServerControl(m, td, options.lowLatency !== false, f);
  if (options.lowLatency === false) checkStandardDelivery(m, f);
  checkParts(m, td, f);
  checkMapsAndDates(m, f);

  if (m.endlistLine !== undefined && m.open !== undefined) {
    f.add(
      'endlist',
      `EXT-X-ENDLIST with an unfinished segment (parts from line ${m.open.firstLine} have no EXTINF)`,
      m.open.firstLine,
    );
  }

  checkPreloadHints(m, f);
  checkUris(m, f);
  if (options.lowLatency !== false) checkRenditionReports(m, options, f);
  checkDelta(m, options, f);
}

function checkVersion(
  version: number | undefined,
  line: number | undefined,
  needs: readonly VersionNeed[],
  f: Findings,
): void {
  let top: VersionNeed | undefined;
  for (const n of needs) if (top === undefined || n.version > top.version) top = n;
  if (top === undefined || top.version <= 1) return;
  if (version === undefined)
    f.add('version', `EXT-X-VERSION is missing; ${top.why} (line ${top.line}) needs ≥ ${top.version} (§8)`);
  else if (Number.isFinite(version) && version < top.version)
    f.add('version', `EXT-X-VERSION:${version} but ${top.why} (line ${top.line}) needs ≥ ${top.version} (§8)`, line);
}

/** What a standard playlist must not carry: a player seeing it would hold requests or fetch parts. */
function checkStandardDelivery(m: MediaModel, f: Findings): void {
  const found: string[] = [];
  if (m.serverControl?.yes('CAN-BLOCK-RELOAD') === true) found.push('CAN-BLOCK-RELOAD=YES');
  if (m.serverControl?.has('CAN-SKIP-UNTIL') === true) found.push('CAN-SKIP-UNTIL');
  if (m.serverControl?.has('PART-HOLD-BACK') === true) found.push('PART-HOLD-BACK');
  if (m.partInfLine !== undefined) found.push('EXT-X-PART-INF');
  if (allParts(m).length > 0) found.push('EXT-X-PART');
  if (m.hints.length > 0) found.push('EXT-X-PRELOAD-HINT');
  if (m.reports.length > 0) found.push('EXT-X-RENDITION-REPORT');
  if (m.skip !== undefined) found.push('EXT-X-SKIP');
  if (found.length > 0) f.add('standard-delivery', `a standard playlist with ${found.join(', ')}`);
}

function checkServerControl(m: MediaModel, td: number | undefined, lowLatency: boolean, f: Findings): void {
  const sc = m.serverControl;
  const line = m.serverControlLine;
  // A standard playlist needs no SERVER-CONTROL; HOLD-BACK, if given, is still checked below.
  if (lowLatency && sc === undefined) {
    f.add('can-block-reload', 'EXT-X-SERVER-CONTROL is missing: LL-HLS clients need CAN-BLOCK-RELOAD=YES (§6.2.5.2)');
  } else if (lowLatency && sc?.yes('CAN-BLOCK-RELOAD') !== true) {
    f.add('can-block-reload', 'EXT-X-SERVER-CONTROL lacks CAN-BLOCK-RELOAD=YES (§4.4.3.8)', line);
  }
  const holdBack = sc?.number('HOLD-BACK');
  if (holdBack !== undefined && td !== undefined && holdBack < 3 * td - EPS) {
    f.add('hold-back', `HOLD-BACK=${holdBack} < 3×TARGETDURATION = ${3 * td} (§4.4.3.8)`, line);
  }
  const canSkipUntil = sc?.number('CAN-SKIP-UNTIL');
  if (canSkipUntil !== undefined && td !== undefined && canSkipUntil < 6 * td - EPS) {
    f.add('can-skip-until', `CAN-SKIP-UNTIL=${canSkipUntil} < 6×TARGETDURATION = ${6 * td} (§4.4.3.8)`, line);
  }
  if (sc?.has('CAN-SKIP-DATERANGES') === true && !sc.has('CAN-SKIP-UNTIL')) {
    f.add('can-skip-until', 'CAN-SKIP-DATERANGES requires CAN-SKIP-UNTIL (§4.4.3.8)', line);
  }
}

function checkParts(m: MediaModel, td: number | undefined, f: Findings): void {
  const parts = allParts(m);
  const anyParts = parts.length > 0;
  const partTarget = m.partTarget;
  const hintsPart = m.hints.some((h) => h.type === 'PART');

  if (m.partInfLine === undefined && (anyParts || hintsPart)) {
    f.add(
      'part-inf',
      'parts are listed but EXT-X-PART-INF:PART-TARGET is missing (REQUIRED, §4.4.3.7)',
      parts[0]?.part.line,
    );
  } else if (partTarget !== undefined && partTarget <= 0) {
    f.add('part-inf', `PART-TARGET=${partTarget} is not positive`, m.partInfLine);
  }

  if (anyParts || m.partInfLine !== undefined) {
    const partHoldBack = m.serverControl?.number('PART-HOLD-BACK');
    if (partHoldBack === undefined) {
      f.add(
        'part-hold-back',
        'PART-HOLD-BACK is missing from EXT-X-SERVER-CONTROL (REQUIRED with EXT-X-PART-INF, §4.4.3.8)',
        m.serverControlLine,
      );
    } else if (partTarget !== undefined && partTarget > 0 && partHoldBack < 3 * partTarget - EPS) {
      const why =
        partHoldBack < 2 * partTarget - EPS
          ? 'below even the spec MUST of 2×'
          : 'the spec allows 2×, Apple 14.3 requires 3× (validator -50102)';
      f.add(
        'part-hold-back',
        `PART-HOLD-BACK=${partHoldBack} < 3×PART-TARGET = ${+(3 * partTarget).toFixed(6)}: ${why}`,
        m.serverControlLine,
      );
    }
  }

  const usableTarget = partTarget !== undefined && partTarget > 0 ? partTarget : undefined;
  const holders: Array<{ tags: SegmentTags; msn: number }> = [
    ...m.segments.map((s) => ({ tags: s, msn: s.msn })),
    ...(m.open === undefined ? [] : [{ tags: m.open, msn: m.open.msn }]),
  ];
  for (const { tags, msn } of holders) {
    tags.parts.forEach((part, index) => {
      const next = tags.parts[index + 1];
      if (!part.gap && part.duration <= 0)
        f.add('zero-duration', `part ${msn}.${index} lasts ${part.duration} s`, part.line);
      if (usableTarget === undefined || !Number.isFinite(part.duration)) return;
      if (part.duration > usableTarget + EPS) {
        f.add(
          'part-over-target',
          `part ${msn}.${index} DURATION=${part.duration} > PART-TARGET=${usableTarget} (§4.4.4.9)`,
          part.line,
        );
      }
      // Exempt (§4.4.4.9): INDEPENDENT or GAP parts, a part right before a GAP part, the final part
      // of its parent. The latest part of the open segment may turn out to be its final one; the
      // reload that completes the segment checks it again.
      const final = next === undefined;
      const exempt = part.independent || part.gap || next?.gap === true || final;
      if (!exempt && part.duration < 0.85 * usableTarget - EPS) {
        f.add(
          'part-under-85',
          `part ${msn}.${index} DURATION=${part.duration} < 85% of PART-TARGET=${usableTarget} (${+(0.85 * usableTarget).toFixed(6)}) and is not its segment's last part (§4.4.4.9)`,
          part.line,
        );
      }
    });
  }

  // Completed segments: same timing as their parts (§3.2); parts listed on a suffix of segments.
  const partial = new Set<number>();
  let firstWithParts: Segment | undefined;
  for (const s of m.segments) {
    if (s.parts.length === 0) {
      if (firstWithParts !== undefined) {
        f.add(
          'parts-contiguous',
          `segment ${s.msn} has no parts although segment ${firstWithParts.msn} before it has: parts are added for every segment and removed from the head (§6.2.1, §6.2.2)`,
          s.extinfLine,
        );
      }
      continue;
    }
    firstWithParts ??= s;
    const durations = s.parts.map((p) => p.duration);
    if (durations.every(Number.isFinite) && Number.isFinite(s.duration)) {
      const total = sum(durations);
      // Each value is written with a few decimals: allow half a millisecond per rounded value.
      const tolerance = 0.0005 * (s.parts.length + 1) + EPS;
      if (Math.abs(total - s.duration) > tolerance) {
        partial.add(s.msn);
        f.add(
          'parts-sum',
          `segment ${s.msn} EXTINF:${s.duration} but its ${s.parts.length} parts add up to ${+total.toFixed(6)} (§3.2; parts dropped from inside a segment?)`,
          s.extinfLine,
        );
      }
    }
  }

  for (const { tags, msn } of holders) {
    const first = tags.parts[0];
    if (first !== undefined && !first.gap && !first.independent && !partial.has(msn)) {
      f.add(
        'part-independent',
        `part ${msn}.0 starts a segment (an IDR, App. B.1) but lacks INDEPENDENT=YES; hls.js starts loading parts at an INDEPENDENT one`,
        first.line,
      );
    }
  }

  // Parts older than 3×TD from the end SHOULD be gone (§6.2.2). Parts leave a whole segment at a
  // time (indices must stay meaningful), so a segment's parts are too old once the segment ends
  // more than 3×TD before the end of the playlist.
  if (td !== undefined) {
    const ends: number[] = [];
    let t = 0;
    for (const s of m.segments) ends.push((t += Number.isFinite(s.duration) ? s.duration : 0));
    const end = t + sum((m.open?.parts ?? []).map((p) => (Number.isFinite(p.duration) ? p.duration : 0)));
    m.segments.forEach((s, i) => {
      const segmentEnd = ends[i] ?? 0;
      const firstPart = s.parts[0];
      if (firstPart !== undefined && end - segmentEnd > 3 * td + EPS) {
        f.add(
          'parts-too-old',
          `the parts of segment ${s.msn} end ${+(end - segmentEnd).toFixed(3)} s before the end, more than 3×TARGETDURATION: they SHOULD be removed (§6.2.2)`,
          firstPart.line,
        );
      }
    });
  }
}

function checkMapsAndDates(m: MediaModel, f: Findings): void {
  const holders: SegmentTags[] = [...m.segments, ...(m.open === undefined ? [] : [m.open])];
  // In a delta update the EXT-X-MAP in scope may be among the skipped tags; it is checked on the
  // merged playlist (PlaylistHistory) instead.
  if (m.skip === undefined) {
    const noMap = holders.filter((h) => h.map === undefined);
    const firstNoMap = noMap[0];
    if (firstNoMap !== undefined) {
      f.add(
        'map-missing',
        `${noMap.length} segment(s) have no EXT-X-MAP in scope; every fMP4 segment needs one (§3.1.2)`,
        firstNoMap.firstLine,
      );
    }
  }
  const noPdt = holders.filter((h) => h.pdt === undefined);
  const firstNoPdt = noPdt[0];
  if (firstNoPdt !== undefined) {
    f.add(
      'pdt-missing',
      `${noPdt.length} segment(s) have no EXT-X-PROGRAM-DATE-TIME (App. B.1; the gateway dates every segment)`,
      firstNoPdt.firstLine,
    );
  }
  // Consecutive PDTs follow EXTINF unless a discontinuity intervenes (§6.2.1).
  for (let i = 1; i < holders.length; i++) {
    const previous = m.segments[i - 1];
    const current = holders[i];
    if (previous === undefined || current === undefined || current.discontinuity) continue;
    const a = previous.pdt?.ms;
    const b = current.pdt?.ms;
    if (
      a === undefined ||
      b === undefined ||
      !Number.isFinite(a) ||
      !Number.isFinite(b) ||
      !Number.isFinite(previous.duration)
    )
      continue;
    const expected = a + previous.duration * 1000;
    const line = current.pdt?.line;
    if (b <= a || expected - b >= 1000) {
      f.add(
        'pdt-overlap',
        `the PDT goes back ${+((expected - b) / 1000).toFixed(3)} s against the previous segment's end: only sub-second partial overlaps are allowed (§6.2.1)`,
        line,
      );
    } else if (b - expected > 1000) {
      f.add(
        'pdt-gap',
        `the PDT jumps ${+((b - expected) / 1000).toFixed(3)} s ahead of the previous segment's end without EXT-X-DISCONTINUITY`,
        line,
      );
    }
  }
}

function checkPreloadHints(m: MediaModel, f: Findings): void {
  if (m.endlistLine !== undefined) {
    for (const hint of m.hints)
      f.add('preload-hint', 'EXT-X-PRELOAD-HINT in a playlist with EXT-X-ENDLIST (§4.4.5.3)', hint.line);
    return;
  }
  const partHints = m.hints.filter((h) => h.type === 'PART');
  const mapHints = m.hints.filter((h) => h.type === 'MAP');
  const llPlaylist = m.partInfLine !== undefined || allParts(m).length > 0;
  if (llPlaylist && partHints.length === 0) {
    f.add('preload-hint', 'no EXT-X-PRELOAD-HINT:TYPE=PART for the next part (App. B.1; hls.js loops without one)');
  }
  for (const extra of [...partHints.slice(1), ...mapHints.slice(1)]) {
    f.add(
      'preload-hint',
      `a second EXT-X-PRELOAD-HINT with TYPE=${extra.type ?? ''} (§6.2.6: one per TYPE)`,
      extra.line,
    );
  }
  const listed = new Set([...m.segments.map((s) => s.uri), ...allParts(m).map((p) => p.part.uri)]);
  for (const hint of m.hints) {
    if (hint.uri !== undefined && listed.has(hint.uri)) {
      f.add(
        'preload-hint',
        `EXT-X-PRELOAD-HINT URI="${hint.uri}" is already listed: a hint names the next, unlisted resource (§4.4.5.3)`,
        hint.line,
      );
    }
  }
}

function checkUris(m: MediaModel, f: Findings): void {
  const uris: Array<{ uri: string; line: number; what: string }> = [
    // Byte ranges of one resource are distinct segments (§4.4.4.2: VOD of recordings).
    ...m.segments.map((s) => ({
      uri: s.byteRange === undefined ? s.uri : `${s.uri} bytes ${s.byteRange}`,
      line: s.line,
      what: 'segment',
    })),
    ...allParts(m).map(({ part }) => ({ uri: part.uri, line: part.line, what: 'EXT-X-PART' })),
    ...m.hints.flatMap((h) => (h.uri === undefined ? [] : [{ uri: h.uri, line: h.line, what: 'EXT-X-PRELOAD-HINT' }])),
    ...m.reports.flatMap((r) =>
      r.uri === undefined ? [] : [{ uri: r.uri, line: r.line, what: 'EXT-X-RENDITION-REPORT' }],
    ),
  ];
  for (const { uri, line, what } of uris) {
    if (uri !== '' && !isRelative(uri))
      f.add('uri-relative', `${what} URI ${JSON.stringify(uri)} is not relative`, line);
  }
  const seen = new Map<string, number>();
  for (const { uri, line, what } of uris) {
    if (what !== 'segment' && what !== 'EXT-X-PART') continue;
    const first = seen.get(uri);
    if (first !== undefined)
      f.add('uri-duplicate', `${what} URI ${JSON.stringify(uri)} was already used at line ${first}`, line);
    else seen.set(uri, line);
  }
}

function checkRenditionReports(m: MediaModel, options: CheckOptions, f: Findings): void {
  const hasParts = allParts(m).length > 0;
  const selfUri = options.self === undefined ? undefined : resolve(options.self);
  const byUri = new Map<string, Report>();
  for (const report of m.reports) {
    if (report.uri === undefined) continue;
    if (!report.hasLastMsn) f.add('rendition-report', `the report for ${report.uri} lacks LAST-MSN`, report.line);
    if (hasParts && !report.hasLastPart)
      f.add('rendition-report', `the report for ${report.uri} lacks LAST-PART (renditions have parts)`, report.line);
    const resolved = resolve(report.uri, options.self);
    if (resolved === undefined) continue;
    if (resolved === selfUri)
      f.add(
        'rendition-report',
        `a rendition report for this playlist itself (${report.uri}); App. B.1 excludes it`,
        report.line,
      );
    if (byUri.has(resolved)) f.add('rendition-report', `a second rendition report for ${report.uri}`, report.line);
    byUri.set(resolved, report);
  }
  if (options.otherRenditions !== undefined) {
    const expected = new Set<string>();
    for (const name of options.otherRenditions) {
      const resolved = resolve(name);
      if (resolved === undefined) continue;
      expected.add(resolved);
      if (!byUri.has(resolved) && m.endlistLine === undefined) {
        f.add(
          'rendition-report',
          `no EXT-X-RENDITION-REPORT for ${name} (App. B.1: one per other rendition; validator -50125)`,
        );
      }
    }
    for (const [resolved, report] of byUri) {
      if (!expected.has(resolved) && resolved !== selfUri)
        f.add(
          'rendition-report',
          `a rendition report for ${report.uri ?? ''}, which is not another rendition`,
          report.line,
        );
    }
  }
  checkReportSync(m, f);
}

/** App. B.1: renditions are updated in step, so a report is within one part of this playlist's end. */
function checkReportSync(m: MediaModel, f: Findings): void {
  const own = lastPosition(m);
  if (own === undefined) return;
  const order: Array<{ msn: number; index: number }> = allParts(m).map(({ msn, index }) => ({ msn, index }));
  const ownOrdinal = order.length - 1;
  for (const report of m.reports) {
    const { lastMsn, lastPart } = report;
    if (lastMsn === undefined) continue;
    let distance: number;
    if (own.part === undefined || lastPart === undefined) {
      distance = Math.abs(lastMsn - own.msn);
    } else if (lastMsn > own.msn) {
      // Ahead: at best this playlist's segment ends right after its last part.
      distance = lastMsn === own.msn + 1 ? 1 + lastPart : Number.POSITIVE_INFINITY;
    } else if (lastMsn === own.msn) {
      distance = Math.abs(lastPart - own.part);
    } else {
      const ordinal = order.findIndex((p) => p.msn === lastMsn && p.index === lastPart);
      distance = ordinal < 0 ? Number.POSITIVE_INFINITY : ownOrdinal - ordinal;
    }
    if (distance > 1) {
      const at = own.part === undefined ? `${own.msn}` : `${own.msn}.${own.part}`;
      const theirs = lastPart === undefined ? `${lastMsn}` : `${lastMsn}.${lastPart}`;
      f.add(
        'rendition-report-sync',
        `the report for ${report.uri ?? '?'} says ${theirs} but this playlist ends at ${at}: renditions SHOULD be within one part (App. B.1)`,
        report.line,
      );
    }
  }
}

function checkDelta(m: MediaModel, options: CheckOptions, f: Findings): void {
  const canSkipUntil = m.serverControl?.number('CAN-SKIP-UNTIL');
  const asked = options.delta !== undefined;
  const mustDelta = asked && canSkipUntil !== undefined && m.endlistLine === undefined;
  const skip = m.skip;
  if (skip !== undefined && !asked)
    f.add('skip', 'EXT-X-SKIP in a playlist that answers no _HLS_skip request', skip.line);
  if (mustDelta && skip === undefined)
    f.add(
      'skip',
      `_HLS_skip=${options.delta ?? ''} on a playlist with CAN-SKIP-UNTIL must get a delta update with EXT-X-SKIP (§6.2.5.1)`,
    );
  if (asked && !mustDelta && skip !== undefined) {
    f.add(
      'skip',
      'the server must ignore _HLS_skip without CAN-SKIP-UNTIL or with EXT-X-ENDLIST (§6.2.5.1), so no EXT-X-SKIP',
      skip.line,
    );
  }
  if (skip === undefined) return;
  if (options.delta === 'v2' && !skip.removedDateranges)
    f.add('skip', '_HLS_skip=v2 needs RECENTLY-REMOVED-DATERANGES on EXT-X-SKIP (§4.4.5.2)', skip.line);
  if (options.delta === 'YES' && skip.removedDateranges)
    f.add('skip', 'RECENTLY-REMOVED-DATERANGES answers only _HLS_skip=v2 (§6.2.5.1)', skip.line);
  if (canSkipUntil === undefined) return;

  // §6.2.5.1: the skipped segments are those "further from the end of the last (Parent) Media
  // Segment than the Skip Boundary": a segment is further when its end is. Whether "the end" is
  // the end of the last complete segment or of the open one's parts is read both ways: only a
  // split that is wrong under both readings is reported.
  const kept = sum(m.segments.map((s) => (Number.isFinite(s.duration) ? s.duration : 0)));
  const openParts = sum((m.open?.parts ?? []).map((p) => (Number.isFinite(p.duration) ? p.duration : 0)));
  if (skip.skipped > 0 && kept + openParts < canSkipUntil - EPS) {
    f.add(
      'skip-boundary',
      `the last skipped segment ends ${+(kept + openParts).toFixed(3)} s from the end, within CAN-SKIP-UNTIL=${canSkipUntil}: it must not be skipped (§6.2.5.1)`,
      skip.line,
    );
  }
  const first = m.segments[0];
  if (first !== undefined && kept - first.duration > canSkipUntil + EPS) {
    f.add(
      'skip-too-few',
      `segment ${first.msn} ends ${+(kept - first.duration).toFixed(3)} s before the end, further than CAN-SKIP-UNTIL=${canSkipUntil}: it should have been skipped (§6.2.5.1)`,
      first.extinfLine,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Reloads

/** A delta update with its skipped segments filled in from the previous version; undefined if it lacks them. */
function mergeDelta(previous: MediaModel, delta: MediaModel): MediaModel | undefined {
  const skip = delta.skip;
  if (skip === undefined) return delta;
  const byMsn = new Map(previous.segments.map((s) => [s.msn, s]));
  const skipped: Segment[] = [];
  for (let msn = delta.mediaSequence; msn < delta.mediaSequence + skip.skipped; msn++) {
    const segment = byMsn.get(msn);
    if (segment === undefined) return undefined;
    skipped.push(segment);
  }
  // The EXT-X-MAP in scope at the first kept segment comes from the skipped part when the delta has none before it.
  const inherited = skipped.at(-1)?.map;
  const withMaps = (h: SegmentTags): SegmentTags =>
    h.map === undefined && inherited !== undefined ? { ...h, map: inherited } : h;
  return {
    ...delta,
    skip: undefined,
    segments: [...skipped, ...delta.segments.map((s) => ({ ...s, ...withMaps(s) }))],
    open: delta.open === undefined ? undefined : { ...delta.open, ...withMaps(delta.open) },
  };
}

/** Discontinuity Sequence Number per MSN (§6.2.1); undefined for a delta update, whose skipped tags are unknown. */
function discontinuityNumbers(m: MediaModel): Map<number, number> | undefined {
  if (m.skip !== undefined) return undefined;
  const numbers = new Map<number, number>();
  let dsn = m.discontinuitySequence;
  for (const holder of [...m.segments, ...(m.open === undefined ? [] : [m.open])]) {
    if (holder.discontinuity) dsn++;
    numbers.set(holder.msn, dsn);
  }
  return numbers;
}

/**
 * Segments after the last one of the previous reload, listed now: each one's DSN is at least that
 * last segment's plus the EXT-X-DISCONTINUITY tags up to it. Segments the client never saw in
 * between (a jump: a server that took the stream over from another) may add more, never less; a
 * DSN that starts over would put the new segments on the old timeline for a player counting on.
 */
function checkDiscontinuityGrowth(before: Map<number, number>, cur: MediaModel, f: Findings): void {
  let last: [number, number] | undefined;
  for (const entry of before) if (last === undefined || entry[0] > last[0]) last = entry;
  if (last === undefined) return;
  const [lastMsn, lastDsn] = last;
  const after = discontinuityNumbers(cur);
  let tags = 0;
  for (const holder of [...cur.segments, ...(cur.open === undefined ? [] : [cur.open])]) {
    if (holder.msn <= lastMsn) continue;
    if (holder.discontinuity) tags++;
    const dsn = after?.get(holder.msn);
    if (dsn !== undefined && dsn < lastDsn + tags) {
      f.add(
        'discontinuity-sequence',
        `segment ${holder.msn} has Discontinuity Sequence Number ${dsn}, below ${lastDsn + tags}: segment ${lastMsn} had ${lastDsn}, and ${tags} EXT-X-DISCONTINUITY tag(s) follow it (§6.2.2)`,
      );
      return;
    }
  }
}

function sameServerControl(a: Attrs | undefined, b: Attrs | undefined): string | undefined {
  const names = new Set([...(a?.map.keys() ?? []), ...(b?.map.keys() ?? [])]);
  const changes: string[] = [];
  for (const name of names) {
    const before = a?.raw(name);
    const after = b?.raw(name);
    const same =
      before !== undefined && after !== undefined && DEC_FLOAT.test(before) && DEC_FLOAT.test(after)
        ? Number(before) === Number(after)
        : before === after;
    if (!same) changes.push(`${name} ${before ?? '(absent)'} → ${after ?? '(absent)'}`);
  }
  return changes.length === 0 ? undefined : changes.join(', ');
}

type UriRegistry = Map<string, string>;

function identities(m: MediaModel): Array<{ uri: string; id: string; line: number }> {
  return [
    ...m.segments.map((s) => ({ uri: s.uri, id: `segment ${s.msn}`, line: s.line })),
    ...allParts(m).map(({ msn, index, part }) => ({ uri: part.uri, id: `part ${msn}.${index}`, line: part.line })),
  ];
}

function remember(registry: UriRegistry, m: MediaModel): void {
  for (const { uri, id } of identities(m)) {
    if (uri === '') continue;
    registry.delete(uri);
    registry.set(uri, id);
  }
  for (const uri of registry.keys()) {
    if (registry.size <= MAX_REMEMBERED_URIS) break;
    registry.delete(uri);
  }
}

function compareReloads(
  prev: MediaModel,
  cur: MediaModel,
  curFull: MediaModel | undefined,
  registry: UriRegistry,
  f: Findings,
): void {
  if (
    prev.targetDuration !== undefined &&
    cur.targetDuration !== undefined &&
    prev.targetDuration !== cur.targetDuration
  ) {
    f.add(
      'constant-td',
      `TARGETDURATION changed ${prev.targetDuration} → ${cur.targetDuration} (§6.2.1)`,
      cur.targetDurationLine,
    );
  }
  if (
    prev.partTarget !== undefined &&
    cur.partTarget !== undefined &&
    Math.abs(prev.partTarget - cur.partTarget) > EPS
  ) {
    f.add('constant-part-target', `PART-TARGET changed ${prev.partTarget} → ${cur.partTarget}`, cur.partInfLine);
  }
  const serverControlChange = sameServerControl(prev.serverControl, cur.serverControl);
  if (serverControlChange !== undefined) {
    f.add(
      'constant-server-control',
      `EXT-X-SERVER-CONTROL changed: ${serverControlChange} (Apple stops with -12642 on a PART-HOLD-BACK change)`,
      cur.serverControlLine,
    );
  }
  if (cur.mediaSequence < prev.mediaSequence)
    f.add('msn-decreased', `EXT-X-MEDIA-SEQUENCE went back ${prev.mediaSequence} → ${cur.mediaSequence} (§6.2.2)`);
  if (cur.discontinuitySequence < prev.discontinuitySequence) {
    f.add(
      'discontinuity-sequence',
      `EXT-X-DISCONTINUITY-SEQUENCE went back ${prev.discontinuitySequence} → ${cur.discontinuitySequence} (§6.2.2)`,
    );
  } else {
    const before = discontinuityNumbers(prev);
    const after = curFull === undefined ? undefined : discontinuityNumbers(curFull);
    if (before !== undefined && after !== undefined) {
      for (const [msn, dsn] of after) {
        const old = before.get(msn);
        if (old !== undefined && old !== dsn) {
          f.add(
            'discontinuity-sequence',
            `segment ${msn} had Discontinuity Sequence Number ${old}, now ${dsn}: the sequence must grow by the DISCONTINUITY tags removed (§6.2.2)`,
          );
          break;
        }
      }
      if (curFull !== undefined) checkDiscontinuityGrowth(before, curFull, f);
    }
  }

  // The same segments and parts keep their URIs, durations and tags (§6.2.1).
  const prevSegments = new Map(prev.segments.map((s) => [s.msn, s]));
  for (const s of cur.segments) {
    const old = prevSegments.get(s.msn);
    if (old === undefined) continue;
    if (old.uri !== s.uri) f.add('uri-changed', `segment ${s.msn} was ${old.uri}, now ${s.uri}`, s.line);
    if (Number.isFinite(old.duration) && Number.isFinite(s.duration) && Math.abs(old.duration - s.duration) > EPS) {
      f.add('duration-changed', `segment ${s.msn} lasted ${old.duration}, now ${s.duration}`, s.extinfLine);
    }
    const changes: string[] = [];
    if (old.discontinuity !== s.discontinuity) changes.push('EXT-X-DISCONTINUITY');
    if (old.gap !== s.gap) changes.push('EXT-X-GAP');
    if (old.pdt?.raw !== s.pdt?.raw && old.pdt !== undefined && s.pdt !== undefined)
      changes.push(`PDT ${old.pdt.raw} → ${s.pdt.raw}`);
    if (old.map !== s.map && cur.skip === undefined)
      changes.push(`EXT-X-MAP ${old.map ?? '(none)'} → ${s.map ?? '(none)'}`);
    if (changes.length > 0) f.add('segment-changed', `segment ${s.msn} changed: ${changes.join(', ')}`, s.line);
  }
  const prevHolders = new Map<number, SegmentTags>([
    ...prev.segments.map((s) => [s.msn, s] as const),
    ...(prev.open === undefined ? [] : [[prev.open.msn, prev.open] as const]),
  ]);
  const curHolders: Array<[number, SegmentTags]> = [
    ...cur.segments.map((s) => [s.msn, s] as [number, SegmentTags]),
    ...(cur.open === undefined ? [] : [[cur.open.msn, cur.open] as [number, SegmentTags]]),
  ];
  for (const [msn, holder] of curHolders) {
    const old = prevHolders.get(msn);
    if (old === undefined) continue;
    holder.parts.forEach((part, index) => {
      const before = old.parts[index];
      if (before === undefined) return;
      if (before.uri !== part.uri)
        f.add('uri-changed', `part ${msn}.${index} was ${before.uri}, now ${part.uri}`, part.line);
      if (
        Number.isFinite(before.duration) &&
        Number.isFinite(part.duration) &&
        Math.abs(before.duration - part.duration) > EPS
      ) {
        f.add('duration-changed', `part ${msn}.${index} lasted ${before.duration}, now ${part.duration}`, part.line);
      }
      if (before.independent !== part.independent || before.gap !== part.gap)
        f.add('segment-changed', `part ${msn}.${index} changed INDEPENDENT or GAP`, part.line);
    });
  }

  checkAppendOnly(prev, cur, curFull, f);

  // A live playlist that dropped segments keeps at least 3×TD of them (§6.2.2).
  const td = validTargetDuration(cur);
  if (
    curFull !== undefined &&
    td !== undefined &&
    cur.endlistLine === undefined &&
    cur.mediaSequence > prev.mediaSequence
  ) {
    const duration = sum(curFull.segments.map((s) => (Number.isFinite(s.duration) ? s.duration : 0)));
    if (duration < 3 * td - EPS)
      f.add(
        'playlist-too-short',
        `segments were removed leaving ${+duration.toFixed(3)} s < 3×TARGETDURATION = ${3 * td} (§6.2.2)`,
      );
  }

  // The part added after a reload is the one the previous playlist hinted (§4.4.5.3).
  const hint = prev.hints.find((h) => h.type === 'PART')?.uri;
  const prevLast = allParts(prev).at(-1);
  if (hint !== undefined && prevLast !== undefined) {
    const added = allParts(cur).find(
      ({ msn, index }) => msn > prevLast.msn || (msn === prevLast.msn && index > prevLast.index),
    );
    if (added !== undefined && added.part.uri !== hint) {
      f.add(
        'hint-not-used',
        `the first new part ${added.msn}.${added.index} is ${added.part.uri}, not the hinted ${hint} (a hinted URI should not be abandoned)`,
        added.part.line,
      );
    }
  }

  for (const { uri, id, line } of identities(cur)) {
    const before = registry.get(uri);
    if (before !== undefined && before !== id) f.add('uri-reused', `${uri} named ${before} before and now ${id}`, line);
  }
}

/** §6.2.1: the only changes are appends at the end and removals from the head, in order. */
function checkAppendOnly(prev: MediaModel, cur: MediaModel, curFull: MediaModel | undefined, f: Findings): void {
  if (prev.endlistLine !== undefined && cur.endlistLine === undefined)
    f.add('append-only', 'EXT-X-ENDLIST was removed');
  const view = curFull ?? cur;
  const curFirst = cur.mediaSequence;
  const curLastComplete =
    view.segments.at(-1)?.msn ??
    (cur.skip !== undefined && cur.skip.skipped > 0 ? curFirst + cur.skip.skipped - 1 : undefined);
  const prevLastComplete = prev.segments.at(-1)?.msn;
  if (
    prevLastComplete !== undefined &&
    prevLastComplete >= curFirst &&
    (curLastComplete === undefined || curLastComplete < prevLastComplete)
  ) {
    f.add(
      'append-only',
      `segment ${prevLastComplete} was listed and is gone while later ones are not: segments leave from the head only`,
    );
  }
  if (prev.open !== undefined && prev.open.msn >= curFirst) {
    const stillThere =
      (curLastComplete !== undefined && curLastComplete >= prev.open.msn) || cur.open?.msn === prev.open.msn;
    if (!stillThere) f.add('append-only', `the unfinished segment ${prev.open.msn} and its parts disappeared`);
  }
  const prevPosition = lastPosition(prev);
  const curPosition = lastPosition(cur);
  if (prev.endlistLine !== undefined && prevPosition !== undefined && curPosition !== undefined) {
    if (
      curPosition.msn > prevPosition.msn ||
      (curPosition.msn === prevPosition.msn && (curPosition.part ?? -1) > (prevPosition.part ?? -1))
    ) {
      f.add('append-only', 'media was added after EXT-X-ENDLIST');
    }
  }

  // Parts: those that stay are a tail of the previous ones; new ones come after all previous ones.
  const curParts = new Map<string, Part>();
  const curCounts = new Map<number, number>();
  for (const { msn, index, part } of allParts(cur)) {
    curParts.set(`${msn}.${index}`, part);
    curCounts.set(msn, index + 1);
  }
  let removedAfterKept: string | undefined;
  let kept = false;
  for (const { msn, index } of allParts(prev)) {
    if (msn < curFirst) continue;
    const present = curParts.has(`${msn}.${index}`);
    if (present) kept = true;
    else if (kept) {
      removedAfterKept ??= `${msn}.${index}`;
    }
  }
  if (removedAfterKept !== undefined)
    f.add(
      'append-only',
      `part ${removedAfterKept} was removed although earlier parts stayed: parts leave from the head, in order (§6.2.2)`,
    );
  const prevParts = new Set(allParts(prev).map(({ msn, index }) => `${msn}.${index}`));
  for (const { msn, index, part } of allParts(cur)) {
    if (prevParts.has(`${msn}.${index}`)) continue;
    if (prevLastComplete !== undefined && msn <= prevLastComplete) {
      f.add('append-only', `part ${msn}.${index} was added to segment ${msn}, which was already complete`, part.line);
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-check with m3u8-parser

function crossCheck(text: string, m: MediaModel, f: Findings): void {
  if (f.has('syntax', 'encoding', 'extm3u', 'duplicate-tag', 'playlist-kind', 'tag-order', 'too-large')) return;
  let manifest: ReturnType<typeof readWithM3u8Parser>;
  try {
    manifest = readWithM3u8Parser(text);
  } catch (error) {
    f.add('parser-agreement', `m3u8-parser threw: ${describeError(error)}`);
    return;
  }
  const differences: string[] = [];
  if (manifest.segments.length !== m.segments.length) {
    differences.push(`${manifest.segments.length} segments, not ${m.segments.length}`);
  } else {
    manifest.segments.forEach((segment, i) => {
      const mine = m.segments[i];
      if (mine === undefined) return;
      if (segment.uri !== mine.uri) differences.push(`segment ${mine.msn} URI ${segment.uri}`);
      if (mine.duration > 0 && Math.abs(segment.duration - mine.duration) > EPS)
        differences.push(`segment ${mine.msn} duration ${segment.duration}`);
      if ((segment.parts?.length ?? 0) !== mine.parts.length)
        differences.push(`segment ${mine.msn} has ${segment.parts?.length ?? 0} parts`);
    });
  }
  const openParts = manifest.preloadSegment?.parts?.length ?? 0;
  if (openParts !== (m.open?.parts.length ?? 0)) differences.push(`${openParts} parts in the unfinished segment`);
  if (m.hasMediaSequence && manifest.mediaSequence !== m.mediaSequence)
    differences.push(`MEDIA-SEQUENCE ${String(manifest.mediaSequence)}`);
  // Discontinuity Sequence Numbers: m3u8-parser's timeline of each segment (full playlists only).
  const numbers = discontinuityNumbers(m);
  if (numbers !== undefined && manifest.segments.length === m.segments.length) {
    manifest.segments.forEach((segment, i) => {
      const msn = m.segments[i]?.msn;
      const dsn = msn === undefined ? undefined : numbers.get(msn);
      if (dsn !== undefined && segment.timeline !== dsn)
        differences.push(`segment ${msn} Discontinuity Sequence Number ${segment.timeline}`);
    });
  }
  if (differences.length > 0)
    f.add('parser-agreement', `m3u8-parser reads this playlist differently: ${differences.join('; ')}`);
}

function readWithM3u8Parser(text: string): InstanceType<typeof M3u8Parser>['manifest'] {
  const parser = new M3u8Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

// ---------------------------------------------------------------------------------------------
// Public API: media playlists

function runMediaCheck(
  text: string,
  options: CheckOptions,
  prev: MediaModel | undefined,
  registry: UriRegistry,
  f: Findings,
): MediaModel | undefined {
  const m = parseMediaText(text, f);
  if (m === undefined) return undefined;
  checkMediaRules(m, options, f);
  let full: MediaModel | undefined = m.skip === undefined ? m : undefined;
  if (prev !== undefined) {
    full = mergeDelta(prev, m);
    if (full !== undefined && m.skip !== undefined) {
      const noMap = [...full.segments, ...(full.open === undefined ? [] : [full.open])].filter(
        (h) => h.map === undefined,
      );
      const firstNoMap = noMap[0];
      if (firstNoMap !== undefined)
        f.add(
          'map-missing',
          `${noMap.length} segment(s) of the merged delta update have no EXT-X-MAP in scope (§3.1.2)`,
          firstNoMap.firstLine,
        );
    }
    compareReloads(prev, m, full, registry, f);
  }
  crossCheck(text, m, f);
  return full ?? m;
}

/**
 * Checks one LL-HLS media playlist against the spec (rfc8216bis §4, §6.2), Apple's authoring rules
 * where they are MUSTs, and what hls.js/Safari need; returns every violation (empty = conforming).
 * Never throws on bad input: a playlist that cannot be parsed is itself a violation.
 */
export function checkMediaPlaylist(text: string, options: CheckOptions = {}): RuleViolation[] {
  const f = new Findings();
  try {
    let prev: MediaModel | undefined;
    const registry: UriRegistry = new Map();
    if (options.previous !== undefined) {
      prev = parseMediaText(options.previous, new Findings());
      if (prev !== undefined) remember(registry, prev);
    }
    runMediaCheck(text, options, prev, registry, f);
  } catch (error) {
    f.add('internal', `the checker failed: ${describeError(error)}`);
  }
  return f.result(options.allow);
}

function formatViolations(violations: readonly RuleViolation[]): string {
  return violations
    .map((v) => `  ${v.rule} [${v.level ?? 'must'}]${v.line === undefined ? '' : ` line ${v.line}`}: ${v.message}`)
    .join('\n');
}

/** A test helper: throws an Error listing every violation (for `expectConforming(text)` in tests). */
export function expectConforming(text: string, options?: CheckOptions): void {
  const violations = checkMediaPlaylist(text, options);
  if (violations.length > 0) {
    throw new Error(
      `the playlist breaks ${violations.length} rule(s):\n${formatViolations(violations)}\n--- playlist ---\n${text.slice(0, 4000)}`,
    );
  }
}

/** Tracks a sequence of reloads of one rendition and checks each against the previous. */
export class PlaylistHistory {
  private previous: MediaModel | undefined;
  private readonly uris: UriRegistry = new Map();
  private count = 0;

  /** How many playlists were checked. */
  get length(): number {
    return this.count;
  }

  check(text: string, options: Omit<CheckOptions, 'previous'> = {}): RuleViolation[] {
    const f = new Findings();
    this.count++;
    try {
      const model = runMediaCheck(text, options, this.previous, this.uris, f);
      if (model !== undefined) {
        remember(this.uris, model);
        this.previous = model;
      }
    } catch (error) {
      f.add('internal', `the checker failed: ${describeError(error)}`);
    }
    return f.result(options.allow);
  }

  /** check() that throws, listing every violation, like expectConforming. */
  expectConforming(text: string, options: Omit<CheckOptions, 'previous'> = {}): void {
    const violations = this.check(text, options);
    if (violations.length > 0) {
      throw new Error(
        `reload ${this.count} breaks ${violations.length} rule(s):\n${formatViolations(violations)}\n--- playlist ---\n${text.slice(0, 4000)}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API: multivariant playlists

const VIDEO_CODECS = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'av01', 'vp08', 'vp09', 'dvh1', 'dvhe', 'dva1', 'dvav']);
const AUDIO_CODECS = new Set(['mp4a', 'opus', 'Opus', 'ac-3', 'ec-3', 'ac-4', 'fLaC', 'alac', 'mp3', 'mhm1']);
const CODEC_FORMAT = /^[A-Za-z0-9-]{4}(?:\.[A-Za-z0-9]+)*$/;
const FRAME_RATE = /^\d+(?:\.\d{1,3})?$/;

interface Variant {
  readonly attrs: Attrs;
  readonly line: number;
  uri: string | undefined;
  uriLine: number | undefined;
}

interface Rendition {
  readonly attrs: Attrs;
  readonly line: number;
}

/**
 * Checks a multivariant playlist: CODECS present and non-empty per variant, RESOLUTION/FRAME-RATE
 * for video, BANDWIDTH and AVERAGE-BANDWIDTH, EXT-X-MEDIA groups referenced exist,
 * INDEPENDENT-SEGMENTS, URIs relative, version consistent (with the media playlists, if given).
 */
export function checkMultivariantPlaylist(text: string, options: MultivariantCheckOptions = {}): RuleViolation[] {
  const f = new Findings();
  try {
    const tokens = tokenize(text, f);
    if (tokens !== undefined) checkMultivariantTokens(tokens, options, f);
  } catch (error) {
    f.add('internal', `the checker failed: ${describeError(error)}`);
  }
  return f.result(options.allow);
}

function checkMultivariantTokens(tokens: readonly Token[], options: MultivariantCheckOptions, f: Findings): void {
  const variants: Variant[] = [];
  const iframes: Variant[] = [];
  const renditions: Rendition[] = [];
  const needs: VersionNeed[] = [];
  let version: number | undefined;
  let versionLine: number | undefined;
  let independentSegments = false;
  let mediaTagLine: number | undefined;
  let pending: Variant | undefined;

  for (const token of tokens) {
    if (token.kind === 'uri') {
      if (pending === undefined) {
        f.add('syntax', 'a URI line that does not follow EXT-X-STREAM-INF', token.line);
      } else {
        pending.uri = token.uri;
        pending.uriLine = token.line;
        pending = undefined;
      }
      if (token.uri.includes('{$')) needs.push({ version: 8, why: 'a variable reference', line: token.line });
      continue;
    }
    const { name, line, attrs, value } = token;
    if (pending !== undefined) {
      f.add('syntax', `EXT-X-STREAM-INF at line ${pending.line} must be followed by its URI line`, line);
      pending = undefined;
    }
    const kind = TAGS[name]?.kind;
    if (kind === 'media' || kind === 'segment' || kind === 'metadata') mediaTagLine ??= line;
    for (const [attrName, attr] of attrs.map) {
      if (attrName.startsWith('REQ-')) needs.push({ version: 12, why: `the ${attrName} attribute`, line });
      if (attr.quoted && attr.raw.includes('{$')) needs.push({ version: 8, why: 'a variable reference', line });
    }
    switch (name) {
      case 'EXT-X-VERSION':
        version = Number(value);
        versionLine = line;
        break;
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        independentSegments = true;
        break;
      case 'EXT-X-DEFINE':
        needs.push({ version: 8, why: 'EXT-X-DEFINE', line });
        if (attrs.has('IMPORT') || attrs.has('QUERYPARAM'))
          f.add('syntax', 'EXT-X-DEFINE IMPORT/QUERYPARAM is for media playlists only (§4.4.2.3)', line);
        break;
      case 'EXT-X-STREAM-INF':
        pending = { attrs, line, uri: undefined, uriLine: undefined };
        variants.push(pending);
        break;
      case 'EXT-X-I-FRAME-STREAM-INF':
        iframes.push({ attrs, line, uri: attrs.quoted('URI'), uriLine: line });
        break;
      case 'EXT-X-MEDIA': {
        renditions.push({ attrs, line });
        const instream = attrs.quoted('INSTREAM-ID');
        if (instream?.startsWith('SERVICE') === true) needs.push({ version: 7, why: 'INSTREAM-ID="SERVICEn"', line });
        if (instream !== undefined && attrs.raw('TYPE') !== 'CLOSED-CAPTIONS')
          needs.push({ version: 13, why: 'INSTREAM-ID on a non-CLOSED-CAPTIONS rendition', line });
        break;
      }
      default:
        break;
    }
  }
  if (pending !== undefined) f.add('syntax', `EXT-X-STREAM-INF at line ${pending.line} has no URI line`, pending.line);
  if (mediaTagLine !== undefined)
    f.add('playlist-kind', 'a media playlist tag in a multivariant playlist (§4.1)', mediaTagLine);
  if (variants.length === 0)
    f.add('playlist-kind', 'no EXT-X-STREAM-INF: a multivariant playlist needs a variant (hls.js: "no levels found")');
  checkVersion(version, versionLine, needs, f);
  if (!independentSegments)
    f.add('independent-segments', 'no EXT-X-INDEPENDENT-SEGMENTS although every segment starts with an IDR (Apple)');

  const groups = new Map<string, Rendition[]>();
  for (const r of renditions) {
    const key = `${r.attrs.raw('TYPE') ?? ''}/${r.attrs.quoted('GROUP-ID') ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  checkRenditions(renditions, groups, f);
  checkVariants(variants, groups, f);
  for (const v of iframes) {
    const bandwidth = v.attrs.integer('BANDWIDTH');
    if (bandwidth !== undefined && bandwidth <= 0) f.add('bandwidth', 'BANDWIDTH must be positive', v.line);
    if (v.uri !== undefined && !isRelative(v.uri))
      f.add('uri-relative', `EXT-X-I-FRAME-STREAM-INF URI ${JSON.stringify(v.uri)} is not relative`, v.line);
  }

  if (options.mediaPlaylists !== undefined) {
    const mediaUris = [
      ...new Set([
        ...variants.flatMap((v) => (v.uri === undefined ? [] : [v.uri])),
        ...renditions.flatMap((r) => r.attrs.quoted('URI') ?? []),
      ]),
    ];
    checkRenditionSet(mediaUris, version, options.mediaPlaylists, options.lowLatency !== false, f);
  }
}

function checkRenditions(
  renditions: readonly Rendition[],
  groups: ReadonlyMap<string, Rendition[]>,
  f: Findings,
): void {
  for (const r of renditions) {
    const type = r.attrs.raw('TYPE');
    const uri = r.attrs.quoted('URI');
    if (type === 'CLOSED-CAPTIONS' && uri !== undefined)
      f.add('media-group', 'a CLOSED-CAPTIONS rendition must not have a URI (§4.4.6.1)', r.line);
    if (type === 'CLOSED-CAPTIONS' && !r.attrs.has('INSTREAM-ID'))
      f.add('media-group', 'a CLOSED-CAPTIONS rendition needs INSTREAM-ID (§4.4.6.1)', r.line);
    if (type === 'SUBTITLES' && uri === undefined)
      f.add('media-group', 'a SUBTITLES rendition needs a URI (§4.4.6.2.1)', r.line);
    if (type !== 'SUBTITLES' && r.attrs.has('FORCED'))
      f.add('media-group', 'FORCED is only for SUBTITLES (§4.4.6.1)', r.line);
    for (const audioOnly of ['CHANNELS', 'BIT-DEPTH', 'SAMPLE-RATE']) {
      if (type !== 'AUDIO' && r.attrs.has(audioOnly))
        f.add('media-group', `${audioOnly} is only for AUDIO (§4.4.6.1)`, r.line);
    }
    if (r.attrs.raw('DEFAULT') === 'YES' && r.attrs.has('AUTOSELECT') && r.attrs.raw('AUTOSELECT') !== 'YES') {
      f.add('media-group', 'DEFAULT=YES needs AUTOSELECT=YES when AUTOSELECT is present (§4.4.6.1)', r.line);
    }
    if (uri !== undefined && !isRelative(uri))
      f.add('uri-relative', `EXT-X-MEDIA URI ${JSON.stringify(uri)} is not relative`, r.line);
  }
  for (const [key, members] of groups) {
    const names = new Set<string>();
    for (const r of members) {
      const name = r.attrs.quoted('NAME');
      if (name === undefined) continue;
      if (names.has(name))
        f.add('media-group', `two renditions named ${JSON.stringify(name)} in group ${key} (§4.4.6.1.1)`, r.line);
      names.add(name);
    }
    const defaults = members.filter((r) => r.attrs.raw('DEFAULT') === 'YES');
    const second = defaults[1];
    if (second !== undefined)
      f.add('media-group', `group ${key} has more than one DEFAULT=YES (§4.4.6.1.1)`, second.line);
  }
}

function checkVariants(variants: readonly Variant[], groups: ReadonlyMap<string, Rendition[]>, f: Findings): void {
  const noneCaptions = variants.filter(
    (v) => v.attrs.raw('CLOSED-CAPTIONS') === 'NONE' && !v.attrs.map.get('CLOSED-CAPTIONS')?.quoted,
  );
  if (noneCaptions.length > 0 && noneCaptions.length < variants.length) {
    f.add(
      'media-group',
      'CLOSED-CAPTIONS=NONE must then be on every EXT-X-STREAM-INF (§4.4.6.2)',
      noneCaptions[0]?.line,
    );
  }
  for (const v of variants) {
    const { attrs, line } = v;
    const bandwidth = attrs.integer('BANDWIDTH');
    if (bandwidth !== undefined && bandwidth <= 0) f.add('bandwidth', 'BANDWIDTH must be positive', line);
    const average = attrs.integer('AVERAGE-BANDWIDTH');
    if (!attrs.has('AVERAGE-BANDWIDTH'))
      f.add('average-bandwidth', 'AVERAGE-BANDWIDTH is missing (Apple requires it)', line);
    else if (average !== undefined && bandwidth !== undefined && average > bandwidth)
      f.add('average-bandwidth', `AVERAGE-BANDWIDTH=${average} > BANDWIDTH=${bandwidth}`, line);

    const codecs = attrs.quoted('CODECS');
    const entries = codecs === undefined ? [] : codecs.split(',');
    const fourccs = entries.map((e) => e.split('.')[0] ?? '');
    if (codecs === undefined)
      f.add('codecs', 'CODECS is missing or empty (Apple requires it; hls.js guesses without it)', line);
    else {
      const bad = entries.filter((e) => !CODEC_FORMAT.test(e));
      if (bad.length > 0)
        f.add('codecs', `CODECS has malformed entries: ${bad.map((e) => JSON.stringify(e)).join(', ')}`, line);
      const legacy = fourccs.filter((c) => c === 'avc3' || c === 'hev1');
      if (legacy.length > 0)
        f.add('codecs-apple', `CODECS uses ${legacy.join(', ')}: Apple wants avc1/hvc1 (Safari refuses hev1)`, line);
    }
    const hasVideo = fourccs.some((c) => VIDEO_CODECS.has(c));
    const hasAudio = fourccs.some((c) => AUDIO_CODECS.has(c));
    if (hasVideo && !attrs.has('RESOLUTION')) f.add('resolution', 'a video variant without RESOLUTION', line);
    if (hasVideo && !attrs.has('FRAME-RATE')) f.add('frame-rate', 'a video variant without FRAME-RATE', line);
    const frameRate = attrs.raw('FRAME-RATE');
    if (frameRate !== undefined && (!FRAME_RATE.test(frameRate) || Number(frameRate) <= 0)) {
      f.add('frame-rate', `FRAME-RATE=${frameRate} is not a positive number rounded to three decimals`, line);
    }
    for (const [attr, type] of [
      ['AUDIO', 'AUDIO'],
      ['VIDEO', 'VIDEO'],
      ['SUBTITLES', 'SUBTITLES'],
      ['CLOSED-CAPTIONS', 'CLOSED-CAPTIONS'],
    ] as const) {
      const group = attrs.quoted(attr);
      if (group === undefined) continue;
      const members = groups.get(`${type}/${group}`);
      if (members === undefined)
        f.add('media-group', `${attr}="${group}" names no EXT-X-MEDIA group of TYPE=${type} (§4.4.6.2)`, line);
      else if (attr === 'AUDIO' && codecs !== undefined && !hasAudio && members.some((r) => r.attrs.has('URI'))) {
        f.add('codecs', `AUDIO="${group}" has audio renditions but CODECS lists no audio format (§6.2.4)`, line);
      }
    }
    if (v.uri !== undefined && !isRelative(v.uri))
      f.add('uri-relative', `variant URI ${JSON.stringify(v.uri)} is not relative`, v.uriLine);
  }
}

/** Checks the media playlists of one multivariant playlist, each and across renditions (§6.2.4, App. B.1). */
function checkRenditionSet(
  mediaUris: readonly string[],
  version: number | undefined,
  texts: Readonly<Record<string, string>>,
  lowLatency: boolean,
  f: Findings,
): void {
  const models: Array<{ uri: string; model: MediaModel }> = [];
  for (const uri of mediaUris) {
    const text = Object.hasOwn(texts, uri) ? texts[uri] : undefined;
    if (text === undefined) continue;
    const others = mediaUris.filter((u) => u !== uri);
    for (const v of checkMediaPlaylist(text, { self: uri, otherRenditions: others, lowLatency })) {
      const where = v.line === undefined ? uri : `${uri} line ${v.line}`;
      f.add(v.rule as PlaylistRuleId, `[${where}] ${v.message}`);
    }
    const model = parseMediaText(text, new Findings());
    if (model !== undefined) models.push({ uri, model });
  }
  const first = models[0];
  if (first === undefined) return;
  for (const { uri, model } of models) {
    if (model.targetDuration !== first.model.targetDuration) {
      f.add(
        'rendition-td',
        `${uri} has TARGETDURATION ${String(model.targetDuration)}, ${first.uri} has ${String(first.model.targetDuration)} (§6.2.4)`,
      );
    }
    const change = sameServerControl(first.model.serverControl, model.serverControl);
    if (change !== undefined)
      f.add(
        'rendition-server-control',
        `${uri} has another EXT-X-SERVER-CONTROL than ${first.uri}: ${change} (§6.2.4)`,
      );
    if (version !== undefined && model.version !== version) {
      f.add(
        'version-mismatch',
        `${uri} has EXT-X-VERSION ${String(model.version)}, the multivariant playlist ${version}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API: media bytes

/**
 * Parts' content equals their parent segment's (§3.2): given the raw bytes of a completed segment
 * and of its parts (in order), the segment must be exactly the parts concatenated.
 */
export function checkSegmentEqualsParts(segment: Uint8Array, parts: readonly Uint8Array[]): RuleViolation[] {
  const f = new Findings();
  if (parts.length === 0) {
    f.add('segment-parts-mismatch', 'no parts given for the segment');
    return f.list;
  }
  const empty = parts.findIndex((p) => p.length === 0);
  if (empty >= 0) f.add('segment-parts-mismatch', `part ${empty} is empty`);
  const total = sum(parts.map((p) => p.length));
  if (total !== segment.length)
    f.add('segment-parts-mismatch', `the segment has ${segment.length} bytes, its parts ${total}`);
  let offset = 0;
  for (const [index, part] of parts.entries()) {
    const limit = Math.min(part.length, segment.length - offset);
    for (let i = 0; i < limit; i++) {
      if (segment[offset + i] !== part[i]) {
        f.add('segment-parts-mismatch', `byte ${offset + i} of the segment differs from byte ${i} of part ${index}`);
        return f.list;
      }
    }
    offset += part.length;
    if (offset >= segment.length) break;
  }
  return f.list;
}
