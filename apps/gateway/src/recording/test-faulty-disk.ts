import { open } from 'node:fs/promises';
import type { OpenFile } from './recording-files.js';

/**
 * A disk that takes `space` more bytes (tests of a full disk): a write past it writes what fits,
 * then fails with ENOSPC, as write(2) does. Give `openFile` to RecordingFiles.
 */
export class FaultyDisk {
  space: number;

  constructor(space: number) {
    this.space = space;
  }

  readonly openFile: OpenFile = async (path, flags, mode) => {
    const handle = await open(path, flags, mode);
    const write = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      if (length <= this.space) {
        this.space -= length;
        return handle.write(buffer, offset, length, position);
      }
      if (this.space > 0) await handle.write(buffer, offset, this.space, position);
      this.space = 0;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    return new Proxy(handle, {
      get: (target, prop) => {
        if (prop === 'write') return write;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}
