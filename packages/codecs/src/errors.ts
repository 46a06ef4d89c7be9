import { CodedError } from '@camgate/bits';

export const CodecsErrorCode = {
  /** A parameter set (SPS, PPS, VPS) is truncated, malformed or not of the NAL unit type it claims. */
  INVALID_PARAMETER_SET: 'CODECS_INVALID_PARAMETER_SET',
  /** A slice header is truncated or malformed. */
  INVALID_SLICE_HEADER: 'CODECS_INVALID_SLICE_HEADER',
  /** A length-prefixed (AVCC/HVCC) NAL unit runs past the end of its buffer. */
  INVALID_LENGTH_PREFIX: 'CODECS_INVALID_LENGTH_PREFIX',
  /** An AudioSpecificConfig is truncated or malformed. */
  INVALID_AUDIO_CONFIG: 'CODECS_INVALID_AUDIO_CONFIG',
  /** An ADTS header is truncated or malformed. */
  INVALID_ADTS: 'CODECS_INVALID_ADTS',
  /** A LATM StreamMuxConfig or PayloadLengthInfo is truncated or malformed. */
  INVALID_LATM: 'CODECS_INVALID_LATM',
  /** Well-formed input that uses a feature camgate does not handle (too large, exotic profile or object type). */
  UNSUPPORTED: 'CODECS_UNSUPPORTED',
  /** A slice refers to a parameter set that has not been received. */
  MISSING_PARAMETER_SET: 'CODECS_MISSING_PARAMETER_SET',
  /** Decoding has not started at a random access point (IDR, IRAP), or the picture depends on one before it. */
  NO_RANDOM_ACCESS_POINT: 'CODECS_NO_RANDOM_ACCESS_POINT',
  /** An access unit holds no slice of a picture. */
  INVALID_ACCESS_UNIT: 'CODECS_INVALID_ACCESS_UNIT',
  /** A timestamp is not a safe integer. */
  INVALID_TIMESTAMP: 'CODECS_INVALID_TIMESTAMP',
  /**
   * A picture is presented earlier than a decode time already handed out: the stream reorders more
   * pictures than it signaled (or than seen so far), so no DTS is both non-decreasing and <= its PTS.
   * The DTS extractor has adapted; drop this access unit and carry on.
   */
  REORDER_EXCEEDED: 'CODECS_REORDER_EXCEEDED',
  /** A caller passed an argument outside what the function accepts (an output buffer too short, a bad count). */
  INVALID_ARGUMENT: 'CODECS_INVALID_ARGUMENT',
} as const;
export type CodecsErrorCode = (typeof CodecsErrorCode)[keyof typeof CodecsErrorCode];

export class CodecsError extends CodedError<CodecsErrorCode> {}
