import { describe, expect, it } from 'vitest';
import { createAddressPolicy, refusal } from './address-policy.js';

describe('camera address policy (S01, S02)', () => {
  it.for([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ] as const)('refuses %s (%s)', ([address, kind]) => {
    expect(refusal(address)).toBe(kind);
  });

  it.for([
    '192.168.1.64',
    '10.0.0.5',
    '172.16.3.4',
    '100.64.1.1',
    '8.8.8.8',
    'fd12:3456::1',
    '2001:db8::7',
    '::ffff:192.168.1.2',
  ])('allows %s (cameras live on private and public networks)', (address) => {
    expect(refusal(address)).toBeUndefined();
  });

  it('resolves names and numeric forms first, and connects to the address it checked', async () => {
    const names: Record<string, string[]> = {
      'cam.local': ['192.168.1.64'],
      'evil.example': ['127.0.0.1'],
      '2130706433': ['127.0.0.1'],
      'metadata.internal': ['169.254.169.254'],
    };
    const policy = createAddressPolicy({ resolve: (host) => Promise.resolve(names[host] ?? []) });
    await expect(policy({ host: 'cam.local', port: 554 })).resolves.toEqual({ address: '192.168.1.64' });
    for (const host of ['evil.example', '2130706433', 'metadata.internal', '127.0.0.1', '[::1]']) {
      await expect(policy({ host, port: 554 })).rejects.toThrow(/camera address not allowed/);
    }
    await expect(policy({ host: 'nowhere', port: 554 })).rejects.toMatchObject({ code: 'RTSP_CONNECTION_FAILED' });
  });

  it('allowlists networks and exact endpoints', async () => {
    const policy = createAddressPolicy({ allow: ['127.0.0.0/8', '[::1]:8554'], resolve: () => Promise.resolve([]) });
    await expect(policy({ host: '127.0.0.1', port: 1 })).resolves.toEqual({ address: '127.0.0.1' });
    await expect(policy({ host: '[::1]', port: 8554 })).resolves.toEqual({ address: '::1' });
    await expect(policy({ host: '[::1]', port: 8555 })).rejects.toThrow(/not allowed/);
    policy.allowEndpoint('[::1]:8555');
    await expect(policy({ host: '[::1]', port: 8555 })).resolves.toEqual({ address: '::1' });
  });
});
