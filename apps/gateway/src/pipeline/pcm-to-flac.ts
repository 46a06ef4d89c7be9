import {
  ALAW_TO_LINEAR,
  FlacFrameEncoder,
  MAX_FLAC_BLOCK_SIZE,
  MAX_FLAC_CHANNELS,
  ULAW_TO_LINEAR,
} from '@camgate/codecs';

/**
 * Camera PCM that becomes FLAC: G.711 A-law (PCMA) and µ-law (PCMU), one byte per sample
 * (RFC 3551 §4.5.14), and L16, 16-bit signed big-endian (RFC 3551 §4.5.11). Channels are
 * interleaved sample by sample (RFC 3551 §4.1).
 */
export type PcmEncoding = 'pcma' | 'pcmu' | 'l16';

/**
 * 16 samples: the smallest block STREAMINFO allows in a stream of more than one frame
 * (RFC 9639 §8.2, minimum block size), so a shorter packet waits for the next one.
 */
export const MIN_FLAC_BLOCK_SIZE = 16;

/** 2^36: the coded sample number of a variable-blocksize frame has 36 bits (RFC 9639 §9.1.5); it wraps. */
const SAMPLE_NUMBER_RANGE = 2 ** 36;

export interface PcmToFlacOptions {
  encoding: PcmEncoding;
  /** The RTP clock rate, which for PCM is the sampling rate (RFC 3551 §4.5.11, §4.5.14). */
  sampleRate: number;
  /** 1 or 2 (MAX_FLAC_CHANNELS). */
  channels: number;
}

export interface PcmToFlacStats {
  /** FLAC frames written. */
  frames: number;
  /** Samples (per channel) of short packets that could not be joined to the next packet (timeline gap). */
  droppedSamples: number;
  /** Bytes that were not a whole sample (an odd L16 byte, an incomplete stereo pair). */
  droppedBytes: number;
}

/** Receives each FLAC frame and its decode time (the RTP clock); `data` is the caller's to keep. */
export type FlacSink = (dts: number, data: Uint8Array) => void;

/**
 * Turns camera PCM packets into FLAC frames (RFC 9639 §9): one frame per packet, so no
 * latency is added, in a variable-blocksize stream numbered by sample (§9.1.5) as packet
 * lengths may vary. Packets longer than the streamable subset's 4608 samples are split into
 * even frames; packets shorter than 16 samples are held and joined to the next packet when it
 * follows without a gap (and dropped, counted, when it does not). The decode buffer and the
 * encoder's workspace are reused: each packet allocates only its FLAC frames.
 *
 * Any payload is accepted (network input): trailing bytes that are not a whole sample are
 * dropped and counted.
 */
export class PcmToFlac {
  readonly stats: PcmToFlacStats = { frames: 0, droppedSamples: 0, droppedBytes: 0 };
  readonly #encoding: PcmEncoding;
  readonly #channels: number;
  readonly #options: { channels: number; sampleRate: number; position: { sampleNumber: number } };
  readonly #sink: FlacSink;
  readonly #encoder = new FlacFrameEncoder();
  /** Interleaved samples of the frame being built; held samples (fewer than 16) wait at its start. */
  readonly #pcm: Int16Array;
  /** Samples (per channel) held from short packets, and the decode time of the first. */
  #held = 0;
  #heldDts = 0;
  #sampleNumber = 0;

  constructor(options: PcmToFlacOptions, sink: FlacSink) {
    const { encoding, sampleRate, channels } = options;
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_FLAC_CHANNELS) {
      throw new RangeError(`PCM to FLAC: ${channels} channels (1..${MAX_FLAC_CHANNELS})`);
    }
    this.#encoding = encoding;
    this.#channels = channels;
    this.#options = { channels, sampleRate, position: { sampleNumber: 0 } };
    this.#sink = sink;
    this.#pcm = new Int16Array(MAX_FLAC_BLOCK_SIZE * channels);
  }

  /** Drops the held samples: the next packet starts a new timeline (reconnect, timestamp jump). */
  reset(): void {
    this.stats.droppedSamples += this.#held;
    this.#held = 0;
  }

  /** One RTP payload whose first sample is at `dts`; writes its FLAC frames to the sink. */
  push(dts: number, payload: Uint8Array): void {
    const bytesPerSample = this.#encoding === 'l16' ? 2 : 1;
    const channels = this.#channels;
    const samples = Math.floor(payload.length / (bytesPerSample * channels));
    this.stats.droppedBytes += payload.length - samples * bytesPerSample * channels;
    if (samples === 0) return;
    // Held samples continue only into the packet that starts where they end.
    if (this.#held > 0 && dts !== this.#heldDts + this.#held) this.reset();
    const start = this.#held > 0 ? this.#heldDts : dts;
    const total = this.#held + samples;
    if (total < MIN_FLAC_BLOCK_SIZE) {
      this.#decode(payload, 0, this.#held, samples);
      this.#heldDts = start;
      this.#held = total;
      return;
    }
    // Even frames, none over the maximum (and so none under 16 samples: each is at least half of it).
    const count = Math.ceil(total / MAX_FLAC_BLOCK_SIZE);
    const base = Math.floor(total / count);
    const longer = total % count;
    let read = 0;
    let written = 0;
    for (let i = 0; i < count; i++) {
      const size = base + (i < longer ? 1 : 0);
      const held = i === 0 ? this.#held : 0;
      this.#decode(payload, read, held, size - held);
      read += size - held;
      this.#emit(start + written, size);
      written += size;
    }
    this.#held = 0;
  }

  /** Expands `count` samples (per channel) of the payload from sample `from` into the buffer at sample `at`. */
  #decode(payload: Uint8Array, from: number, at: number, count: number): void {
    const pcm = this.#pcm;
    const values = count * this.#channels;
    const out = at * this.#channels;
    const first = from * this.#channels;
    if (this.#encoding === 'l16') {
      for (let i = 0; i < values; i++) {
        const byte = 2 * (first + i);
        pcm[out + i] = ((payload[byte] as number) << 8) | (payload[byte + 1] as number); // Int16Array wraps to signed
      }
      return;
    }
    const table = this.#encoding === 'pcma' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    for (let i = 0; i < values; i++) pcm[out + i] = table[payload[first + i] as number] as number;
  }

  #emit(dts: number, size: number): void {
    this.#options.position.sampleNumber = this.#sampleNumber;
    const frame = this.#encoder.encode(this.#pcm.subarray(0, size * this.#channels), this.#options);
    this.#sampleNumber = (this.#sampleNumber + size) % SAMPLE_NUMBER_RANGE;
    this.stats.frames++;
    this.#sink(dts, frame);
  }
}
