import { RtspError, RtspErrorCode } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { cameraProblem } from './camera-problem.js';

describe('cameraProblem', () => {
  it.for([
    [RtspErrorCode.AUTH_FAILED, 'wrong user name or password', true],
    [RtspErrorCode.NOT_FOUND, /no stream at this path/, true],
    [RtspErrorCode.CONNECTION_FAILED, /cannot reach the camera/, false],
    [RtspErrorCode.TIMEOUT, /stopped answering/, false],
    [RtspErrorCode.SESSION_LIMIT, /no free stream slot/, false],
    [RtspErrorCode.NO_SUPPORTED_TRACKS, /H\.264, H\.265/, true],
  ] as const)('%s: %s (permanent: %s)', ([code, message, permanent]) => {
    const problem = cameraProblem(new RtspError(code, 'details for developers'));
    expect(problem.code).toBe(code);
    expect(problem.message).toMatch(message);
    expect(problem.permanent).toBe(permanent);
  });

  it('keeps the code of an error it has no words for, and never fails', () => {
    expect(cameraProblem(new RtspError(RtspErrorCode.BAD_STATUS, 'the camera answered 500'))).toEqual({
      code: 'RTSP_BAD_STATUS',
      message: 'the camera session failed: the camera answered 500',
      permanent: false,
    });
    expect(cameraProblem(new Error('boom')).code).toBe('CAMGATE_ERR_INTERNAL');
    expect(cameraProblem(undefined).permanent).toBe(false);
  });
});
