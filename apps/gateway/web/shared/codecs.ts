// What a multivariant playlist offers (RFC 8216bis §4.4.6.2 EXT-X-STREAM-INF, §4.4.6.1 EXT-X-MEDIA)
// and what this browser can decode of it, asked on the exact CODECS strings.

export interface Variant {
  /** The variant's URI as written (relative to the playlist). */
  uri: string;
  /** CODECS, split: `['hvc1.1.6.L93.B0', 'mp4a.40.2']`. */
  codecs: string[];
  bandwidth?: number;
  width?: number;
  height?: number;
  frameRate?: number;
}

/** Video codec string prefixes (RFC 6381 sample entries); anything else in CODECS is audio. */
const VIDEO_CODECS = /^(?:avc[13]|hvc1|hev1|av01|vp09|vp08|dvh1|dvhe)(?:\.|$)/i;

/** The variants of a multivariant playlist, in order; none for a media playlist or other text. */
export function parseVariants(playlist: string): Variant[] {
  const lines = playlist.split(/\r?\n/).map((line) => line.trim());
  const variants: Variant[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const attrs = parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length));
    let uri = '';
    while (++i < lines.length) {
      const next = lines[i] ?? '';
      if (next !== '' && !next.startsWith('#')) {
        uri = next;
        break;
      }
    }
    const variant: Variant = { uri, codecs: splitCodecs(attrs.get('CODECS') ?? '') };
    const bandwidth = Number(attrs.get('BANDWIDTH'));
    if (Number.isFinite(bandwidth) && bandwidth > 0) variant.bandwidth = bandwidth;
    const resolution = /^(\d+)x(\d+)$/.exec(attrs.get('RESOLUTION') ?? '');
    if (resolution !== null) {
      variant.width = Number(resolution[1]);
      variant.height = Number(resolution[2]);
    }
    const frameRate = Number(attrs.get('FRAME-RATE'));
    if (Number.isFinite(frameRate) && frameRate > 0) variant.frameRate = frameRate;
    variants.push(variant);
  }
  return variants;
}

/** An attribute list (§4.2): `NAME=value` pairs, quoted strings kept without their quotes. */
export function parseAttributes(list: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const pattern = /([A-Z0-9-]+)=("[^"]*"|[^,]*)(?:,|$)/g;
  for (const match of list.matchAll(pattern)) {
    const value = match[2] ?? '';
    attrs.set(match[1] ?? '', value.startsWith('"') ? value.slice(1, -1) : value);
  }
  return attrs;
}

function splitCodecs(codecs: string): string[] {
  return codecs
    .split(',')
    .map((codec) => codec.trim())
    .filter((codec) => codec !== '');
}

export function isVideoCodec(codec: string): boolean {
  return VIDEO_CODECS.test(codec);
}

/** A codec string's name for people: `hvc1.1.6.L93.B0` -> `H.265`. */
export function codecName(codec: string): string {
  const entry = (codec.split('.')[0] ?? '').toLowerCase();
  switch (entry) {
    case 'avc1':
    case 'avc3':
      return 'H.264';
    case 'hvc1':
    case 'hev1':
      return 'H.265';
    case 'dvh1':
    case 'dvhe':
      return 'Dolby Vision';
    case 'av01':
      return 'AV1';
    case 'vp09':
      return 'VP9';
    case 'vp08':
      return 'VP8';
    case 'mp4a':
      return codec.toLowerCase() === 'mp4a.40.34' || codec.toLowerCase() === 'mp4a.6b' ? 'MP3' : 'AAC';
    case 'flac':
      return 'FLAC';
    case 'opus':
      return 'Opus';
    case 'ac-3':
      return 'AC-3';
    case 'ec-3':
      return 'E-AC-3';
    case 'ulaw':
    case 'alaw':
      return 'G.711';
    default:
      return codec;
  }
}

/**
 * The spellings of a codec string browsers have answered to: RFC 6381 takes the sample entry's
 * four characters (`fLaC`, `Opus`), but some browsers' isTypeSupported/canPlayType know only the
 * lower-case name (`flac`, `opus`). The playlist's own spelling first.
 */
export function codecSpellings(codec: string): string[] {
  const lower = codec.toLowerCase();
  const spellings = lower === 'flac' ? ['fLaC', 'flac'] : lower === 'opus' ? ['Opus', 'opus'] : [];
  return [codec, ...spellings.filter((spelling) => spelling !== codec)];
}

/** Whether this browser decodes one codec string, for MSE (or a native HLS player). */
export type CodecCheck = (codec: string, kind: 'video' | 'audio', variant: Variant) => Promise<boolean>;

export interface VariantChoice {
  /** The first variant whose video this browser decodes (undefined: none). */
  variant: Variant | undefined;
  /** Its audio codecs that this browser decodes; `droppedAudio` lists the others. */
  audio: string[];
  droppedAudio: string[];
  /** The video codecs of the variants that cannot be decoded (for the message). */
  undecodable: string[];
  /** The audio codecs of the audio-only variants none of whose audio decodes (for the message). */
  undecodableAudio: string[];
}

/**
 * Picks the variant to play: the first whose video decodes (audio-only variants count as
 * decodable video). Its audio codecs that do not decode are dropped: the player plays video only.
 */
export async function chooseVariant(variants: readonly Variant[], check: CodecCheck): Promise<VariantChoice> {
  const undecodable: string[] = [];
  const undecodableAudio: string[] = [];
  for (const variant of variants) {
    const video = variant.codecs.filter(isVideoCodec);
    const audio = variant.codecs.filter((codec) => !isVideoCodec(codec));
    const videoOk = await every(video, (codec) => check(codec, 'video', variant));
    if (!videoOk) {
      undecodable.push(...video);
      continue;
    }
    const kept: string[] = [];
    const dropped: string[] = [];
    for (const codec of audio) ((await check(codec, 'audio', variant)) ? kept : dropped).push(codec);
    // Audio only and none of it decodes: nothing to play.
    if (video.length === 0 && kept.length === 0 && dropped.length > 0) {
      undecodableAudio.push(...dropped);
      continue;
    }
    return { variant, audio: kept, droppedAudio: dropped, undecodable, undecodableAudio };
  }
  return { variant: undefined, audio: [], droppedAudio: [], undecodable, undecodableAudio };
}

async function every(codecs: readonly string[], test: (codec: string) => Promise<boolean>): Promise<boolean> {
  for (const codec of codecs) if (!(await test(codec))) return false;
  return true;
}

/**
 * What the player says when no variant decodes, in words: the video it cannot decode, or for a
 * camera of audio only, its audio (no use offering video transcoding for that).
 */
export function undecodableMessage(video: readonly string[], audio: readonly string[] = []): string {
  const names = [...new Set(video.map(codecName))];
  if (names.length === 0) {
    const audioNames = [...new Set(audio.map(codecName))];
    if (audioNames.length > 0) return `This browser cannot decode this camera's ${audioNames.join(' or ')} audio.`;
    return 'This browser cannot decode this camera’s video.';
  }
  const list = names.join(' or ');
  if (names.includes('H.265')) {
    return `This browser cannot decode ${list} video. Open it in Safari, use the camera's H.264 stream, or turn on H.264 transcoding for this camera.`;
  }
  return `This browser cannot decode ${list} video. Use the camera's H.264 stream, or turn on H.264 transcoding for this camera.`;
}

/** What the player says while it plays video only. */
export function videoOnlyMessage(codecs: readonly string[]): string {
  const names = [...new Set(codecs.map(codecName))].join(' or ');
  return `Playing video only: this browser cannot decode the camera's ${names} audio.`;
}

/**
 * The multivariant playlist with only `variant` (by URI) and, when `keepAudio` is false, no audio
 * rendition: the audio codecs leave CODECS, the AUDIO attribute and the EXT-X-MEDIA audio lines go.
 */
export function restrictPlaylist(playlist: string, variant: Variant, keepAudio: boolean): string {
  const lines = playlist.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!keepAudio && line.startsWith('#EXT-X-MEDIA:') && /(?:^|[:,])TYPE=AUDIO(?:,|$)/.test(line)) continue;
    if (!line.startsWith('#EXT-X-STREAM-INF:')) {
      out.push(line);
      continue;
    }
    // The variant's URI line: the next line that is not a tag or blank.
    let j = i + 1;
    while (j < lines.length && ((lines[j] ?? '').trim() === '' || (lines[j] ?? '').startsWith('#'))) j++;
    if ((lines[j] ?? '').trim() === variant.uri) {
      let tag = line;
      if (!keepAudio) {
        const video = variant.codecs.filter(isVideoCodec).join(',');
        tag = tag.replace(/CODECS="[^"]*"/, `CODECS="${video}"`).replace(/,AUDIO="[^"]*"|AUDIO="[^"]*",?/, '');
      }
      out.push(tag, ...lines.slice(i + 1, j + 1));
    }
    i = j;
  }
  return out.join('\n');
}
