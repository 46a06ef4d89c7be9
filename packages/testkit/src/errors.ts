import { CodedError } from '@camgate/bits';

export const TestkitErrorCode = {
  /** An interop tool is missing while CAMGATE_REQUIRE_INTEROP=1 demands it. */
  INTEROP_TOOL_MISSING: 'TESTKIT_INTEROP_TOOL_MISSING',
  /** A helper process (GStreamer server, ffmpeg) failed to start or timed out. */
  PROCESS_FAILED: 'TESTKIT_PROCESS_FAILED',
} as const;
export type TestkitErrorCode = (typeof TestkitErrorCode)[keyof typeof TestkitErrorCode];

export class TestkitError extends CodedError<TestkitErrorCode> {}
