import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** A write that failed; `replaced` when the rename had already put the new file in place. */
export class WriteFailure extends Error {
  constructor(
    readonly replaced: boolean,
    options: ErrorOptions,
  ) {
    super('write failed', options);
  }
}

/**
 * Replaces `path` with `data` (text as UTF-8, or bytes) so that a crash at any point leaves either
 * the old or the new file: `<path>.tmp` (a fresh file of `mode`, 0600 by default: what the gateway
 * keeps holds secrets), fsync, rename, fsync the directory `dir`. Throws a {@link WriteFailure}.
 */
export async function writeFileDurably(
  dir: string,
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
  tmpPath = `${path}.tmp`,
): Promise<void> {
  let replaced = false;
  let handle: FileHandle | undefined;
  try {
    // A fresh file ('wx' after rm) gets `mode` even if something left a tmp file with other permissions.
    await rm(tmpPath, { force: true });
    handle = await open(tmpPath, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmpPath, path);
    replaced = true;
    await syncPath(dir);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    if (!replaced) await rm(tmpPath, { force: true }).catch(() => undefined);
    throw new WriteFailure(replaced, { cause: err });
  }
}

/**
 * fsync by path: a directory makes a rename in it durable (the new entry is only
 * on disk once the directory itself is fsynced), a file a truncation of it.
 * Windows cannot open a directory for that (and NTFS journals renames), so it is
 * skipped there.
 */
export async function syncPath(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
