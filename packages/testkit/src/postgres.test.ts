import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTools } from './interop.js';
import { startPostgres } from './postgres.js';
import { lookUpTool } from './tools.js';

/** Whether a process with this pid is alive (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user; ESRCH: it is gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process exits within 5 s: pg_ctl returns once the server removed its pid file,
 * a moment before the process is gone.
 */
async function exits(pid: number): Promise<boolean> {
  const deadline = performance.now() + 5_000;
  while (alive(pid)) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
}

describe('private PostgreSQL', () => {
  it('reports a bin directory without the server, with how to install it', () => {
    const lookup = lookUpTool('postgres', { CAMGATE_POSTGRES_BIN: '/nonexistent/bin' });
    expect(lookup).toEqual({
      found: false,
      tool: 'postgres',
      reason:
        'initdb, pg_ctl, postgres, psql, createdb not found in /nonexistent/bin; install: apt-get install postgresql (or set CAMGATE_POSTGRES_BIN to a PostgreSQL bin directory)',
    });
  });

  it('starts on loopback, pauses and resumes with its data, and is gone after stop', async (ctx) => {
    requireTools(ctx, 'postgres');
    const pg = await startPostgres();
    try {
      expect(pg.url).toBe(`postgres://camgate@127.0.0.1:${pg.port}/camgate`);
      expect(await pg.psql('select 1')).toBe('1');
      expect(await pg.psql("select current_setting('listen_addresses'), current_setting('max_connections')")).toBe(
        '127.0.0.1|200',
      );
      await pg.psql('create table kept (value text); insert into kept values ($$before the pause$$)');

      const pid = await postmasterPid(pg.dataDir);
      await pg.pause();
      expect(await exits(pid)).toBe(true);
      await expect(pg.psql('select 1')).rejects.toThrow(/psql failed/);

      await pg.resume();
      expect(await pg.psql('select value from kept')).toBe('before the pause');

      const other = await pg.createDatabase('other');
      expect(other).toBe(pg.urlFor('other'));
      expect(await pg.psql('select current_database()', 'other')).toBe('other');

      const resumedPid = await postmasterPid(pg.dataDir);
      await pg.stop();
      expect(await exits(resumedPid)).toBe(true);
      expect(existsSync(pg.dataDir)).toBe(false);
    } finally {
      await pg.stop();
    }
  });

  it('takes extra server settings', async (ctx) => {
    requireTools(ctx, 'postgres');
    const pg = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' }, database: 'x' });
    try {
      expect(pg.url.endsWith('/x')).toBe(true);
      expect(await pg.psql("select current_setting('shared_preload_libraries')", 'x')).toBe('pg_stat_statements');
    } finally {
      await pg.stop();
    }
  });
});
