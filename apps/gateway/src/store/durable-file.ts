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
 * Replaces `path` with `text` so that a crash at any point leaves either the old or the new file:
 * `<path>.tmp` (a fresh file of mode 0600: what the gateway keeps holds secrets), fsync, rename,
 * fsync the directory `dir`. Throws a {@link WriteFailure}.
 */
export async function writeFileDurably(dir: string, path: string, text: string): Promise<void> {
  const tmpPath = `${path}.tmp`;
  let replaced = false;
  let handle: FileHandle | undefined;
  try {
    // A fresh file ('wx' after rm) gets mode 0600 even if something left a tmp file with other permissions.
    await rm(tmpPath, { force: true });
    handle = await open(tmpPath, 'wx', 0o600);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmpPath, path);
    replaced = true;
    await syncDirectory(dir);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    if (!replaced) await rm(tmpPath, { force: true }).catch(() => undefined);
    throw new WriteFailure(replaced, { cause: err });
  }
}

/**
 * Makes a rename durable: the new directory entry is only on disk once the
 * directory itself is fsynced. Windows cannot open a directory for that (and
 * NTFS journals renames), so it is skipped there. Also fsyncs a file by path (a
 * truncation).
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
