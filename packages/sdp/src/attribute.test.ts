import { describe, expect, it } from 'vitest';
import { directionOf, findAttribute, parseAttribute, type SdpAttribute } from './attribute.js';

describe('parseAttribute (RFC 8866 §5.13)', () => {
  it.each([
    ['control:trackID=1', { name: 'control', value: 'trackID=1' }],
    ['recvonly', { name: 'recvonly', value: undefined }],
    ['control:rtsp://cam:554/a?b=c', { name: 'control', value: 'rtsp://cam:554/a?b=c' }],
    ['source-filter: incl IN IP4 * 10.175.31.17', { name: 'source-filter', value: ' incl IN IP4 * 10.175.31.17' }],
    ['x-empty:', { name: 'x-empty', value: '' }],
    [':no-name', { name: '', value: 'no-name' }],
  ])('%j', (text, want) => {
    expect(parseAttribute(text)).toEqual(want);
  });
});

describe('findAttribute', () => {
  const attributes: SdpAttribute[] = [
    { name: 'Media_header', value: 'MEDIAINFO=494D4B48' },
    { name: 'control', value: 'first' },
    { name: 'CONTROL', value: 'second' },
  ];
  it('compares names case-insensitively and returns the first match', () => {
    expect(findAttribute(attributes, 'Control')?.value).toBe('first');
    expect(findAttribute(attributes, 'media_header')?.value).toBe('MEDIAINFO=494D4B48');
    expect(findAttribute(attributes, 'range')).toBeUndefined();
  });
});

describe('directionOf (RFC 8866 §6.7)', () => {
  it.each([
    ['sendonly', 'sendonly'],
    ['RecvOnly', 'recvonly'],
    ['sendrecv', 'sendrecv'],
    ['inactive', 'inactive'],
    ['sendonly ', 'sendonly'],
    ['send-only', undefined],
    ['control', undefined],
  ])('%j -> %j', (name, want) => {
    expect(directionOf({ name, value: undefined })).toBe(want);
  });
});
