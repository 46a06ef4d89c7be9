import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError } from './coded-error.js';
import { BitsError, BitsErrorCode } from './errors.js';

describe('CodedError', () => {
  it('carries a code, a message, a cause and its subclass name', () => {
    const cause = new Error('low level');
    const err = new BitsError(BitsErrorCode.END_OF_DATA, 'ran out', { cause });
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: 'BITS_END_OF_DATA', message: 'ran out', name: 'BitsError', cause });
  });

  it('isCodedError narrows by code', () => {
    const err: unknown = new BitsError(BitsErrorCode.END_OF_DATA, 'x');
    expect(isCodedError(err)).toBe(true);
    expect(isCodedError(err, BitsErrorCode.END_OF_DATA)).toBe(true);
    expect(isCodedError(err, BitsErrorCode.INVALID_ARGUMENT)).toBe(false);
    expect(isCodedError(new Error('plain'))).toBe(false);
  });
});
