import { describe, expect, it } from 'vitest';
import type { CameraRecord } from '../store/camera-store.js';
import { CameraSupervisor } from './camera-supervisor.js';

/** Disabled cameras: a pipeline that runs without connecting anywhere. */
function record(id: string, overrides: Partial<CameraRecord> = {}): CameraRecord {
  return {
    id,
    name: id,
    url: `rtsp://192.0.2.10/${id}`,
    transport: 'auto',
    onDemand: false,
    audio: 'auto',
    enabled: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('CameraSupervisor', () => {
  it('runs one pipeline per camera, reconfigures it and stops it', async () => {
    const supervisor = new CameraSupervisor();
    const first = await supervisor.run(record('a'));
    expect(await supervisor.run(record('a'))).toBe(first);
    expect(supervisor.size).toBe(1);
    supervisor.update(record('a', { name: 'renamed', transport: 'tcp' }));
    expect(first?.settings.transport).toBe('tcp');
    await supervisor.stop('a');
    expect(supervisor.pipeline('a')).toBeUndefined();
    expect(first?.stream).toBeUndefined();
    await supervisor.stop('a');
  });

  it('starts a camera again only once its previous pipeline has ended its session', async () => {
    const supervisor = new CameraSupervisor();
    const first = await supervisor.run(record('a'));
    let closed = false;
    const closing = first!.close.bind(first);
    // A camera slow to answer TEARDOWN: the old pipeline takes a while to close.
    first!.close = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await closing();
      closed = true;
    };
    const stopped = supervisor.stop('a');
    const second = await supervisor.run(record('a'));
    expect(closed).toBe(true);
    expect(second).not.toBe(first);
    await stopped;
    await supervisor.close();
  });

  it('starts nothing once closed', async () => {
    const supervisor = new CameraSupervisor();
    await supervisor.run(record('a'));
    await supervisor.close();
    expect(supervisor.size).toBe(0);
    expect(await supervisor.run(record('b'))).toBeUndefined();
  });
});
