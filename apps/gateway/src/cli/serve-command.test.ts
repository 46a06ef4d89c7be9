import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type ConfigInput } from '../config.js';
import { GatewayErrorCode } from '../errors.js';
import { clusterNode } from './serve-command.js';

const DATABASE = { databaseUrl: 'postgres://db.example.com/camgate', secretKey: 'k'.repeat(43) };
const KEY = { apiKey: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7' };

describe('clusterNode: the name and address other nodes know a node by', () => {
  it.each<{ input: ConfigInput; https?: boolean; id: string; url: string }>([
    { input: { port: 8080 }, id: `${hostname()}:8080`, url: 'http://127.0.0.1:8080' },
    { input: { host: '127.0.0.5', port: 8080 }, id: `${hostname()}:8080`, url: 'http://127.0.0.5:8080' },
    { input: { host: '0.0.0.0', port: 9000, ...KEY }, id: `${hostname()}:9000`, url: `http://${hostname()}:9000` },
    { input: { host: '::', port: 9000, ...KEY }, id: `${hostname()}:9000`, url: `http://${hostname()}:9000` },
    {
      input: { host: '10.0.0.11', port: 443, ...KEY },
      https: true,
      id: `${hostname()}:443`,
      url: 'https://10.0.0.11:443',
    },
    { input: { host: 'fd00::11', port: 8080, ...KEY }, id: `${hostname()}:8080`, url: 'http://[fd00::11]:8080' },
    {
      input: { port: 0, nodeId: 'edge-1', nodeUrl: 'http://edge-1.internal:8080' },
      id: 'edge-1',
      url: 'http://edge-1.internal:8080',
    },
  ])('$input.host:$input.port -> $url', ({ input, https = false, id, url }) => {
    expect(clusterNode(resolveConfig({ ...DATABASE, ...input }), https)).toEqual({ id, url });
  });

  it('a random port (0) cannot be found by the other nodes: a configuration error', () => {
    expect(() => clusterNode(resolveConfig({ ...DATABASE, port: 0 }), false)).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG }),
    );
  });
});
