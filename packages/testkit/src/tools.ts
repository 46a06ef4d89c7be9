import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real peers camgate is tested against. */
export type InteropTool =
  | 'ffmpeg'
  | 'ffprobe'
  | 'chromium'
  | 'gst-rtsp-server'
  /** PostgreSQL's server binaries (initdb, pg_ctl, postgres); the lookup's path is their bin directory. */
  | 'postgres';

export type ToolLookup =
  | { found: true; tool: InteropTool; path: string; version: string }
  | { found: false; tool: InteropTool; reason: string };

/** Where each tool comes from on Debian/Ubuntu (what .ci/run installs). */
const INSTALL_HINT: Record<InteropTool, string> = {
  ffmpeg: 'apt-get install ffmpeg',
  ffprobe: 'apt-get install ffmpeg',
  chromium: 'apt-get install chromium (or set CAMGATE_CHROMIUM to a Chromium/Chrome binary)',
  'gst-rtsp-server':
    'apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-{base,good,bad,ugly} gstreamer1.0-libav',
  postgres: 'apt-get install postgresql (or set CAMGATE_POSTGRES_BIN to a PostgreSQL bin directory)',
};

export const GST_RTSP_SERVER_SCRIPT = fileURLToPath(new URL('../fixtures/gst-rtsp-server.py', import.meta.url));

const cache = new Map<InteropTool, ToolLookup>();

/**
 * Finds an interop tool and its version (cached per process). Environment
 * overrides: CAMGATE_FFMPEG, CAMGATE_FFPROBE, CAMGATE_CHROMIUM, CAMGATE_PYTHON
 * (the Python that has GStreamer's gi bindings).
 */
export function findTool(tool: InteropTool): ToolLookup {
  let lookup = cache.get(tool);
  if (lookup === undefined) {
    lookup = lookUpTool(tool, process.env);
    cache.set(tool, lookup);
  }
  return lookup;
}

/** Uncached lookup with an explicit environment. */
export function lookUpTool(tool: InteropTool, env: NodeJS.ProcessEnv): ToolLookup {
  const missing = (why: string): ToolLookup => ({
    found: false,
    tool,
    reason: `${why}; install: ${INSTALL_HINT[tool]}`,
  });
  switch (tool) {
    case 'ffmpeg':
    case 'ffprobe': {
      const path = env[`CAMGATE_${tool.toUpperCase()}`] ?? tool;
      const version = firstLine(path, ['-version']);
      return version === undefined
        ? missing(`${tool} not found (tried ${path})`)
        : { found: true, tool, path, version };
    }
    case 'chromium': {
      const candidates = [
        env['CAMGATE_CHROMIUM'],
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/usr/bin/google-chrome',
      ];
      for (const path of candidates) {
        if (path === undefined || !existsSync(path)) continue;
        const version = firstLine(path, ['--version']);
        if (version !== undefined) return { found: true, tool, path, version };
      }
      return missing('no Chromium binary found');
    }
    case 'gst-rtsp-server': {
      // Debian's python3-gi belongs to /usr/bin/python3, which may not be the first python3 on PATH.
      const candidates = [env['CAMGATE_PYTHON'], '/usr/bin/python3', 'python3'];
      let why = 'no python3 with GStreamer RTSP server bindings';
      for (const python of candidates) {
        if (python === undefined) continue;
        const check = spawnSync(python, [GST_RTSP_SERVER_SCRIPT, '--check'], { encoding: 'utf8', timeout: 20_000 });
        if (check.status === 0) {
          const version = firstLine('gst-launch-1.0', ['--version']) ?? 'GStreamer';
          return { found: true, tool, path: python, version };
        }
        const missingElements = /"missing": \[(.*)\]/.exec(check.stdout)?.[1];
        if (missingElements) why = `GStreamer elements missing: ${missingElements}`;
      }
      return missing(why);
    }
    case 'postgres': {
      const binDir = env['CAMGATE_POSTGRES_BIN'] ?? newestPostgresBinDir(POSTGRES_LIB_DIR);
      if (binDir === undefined) return missing(`no PostgreSQL server in ${POSTGRES_LIB_DIR}/<version>/bin`);
      const absent = POSTGRES_BINARIES.filter((name) => !existsSync(`${binDir}/${name}`));
      if (absent.length > 0) return missing(`${absent.join(', ')} not found in ${binDir}`);
      const version = firstLine(`${binDir}/postgres`, ['--version']);
      if (version === undefined) return missing(`${binDir}/postgres does not run`);
      // initdb refuses to run as root: the harness runs the server as Debian's `postgres` user.
      if (process.getuid?.() === 0) {
        if (firstLine('id', ['-u', POSTGRES_OS_USER]) === undefined) {
          return missing(`running as root, and there is no "${POSTGRES_OS_USER}" user to run the server as`);
        }
        if (firstLine('runuser', ['--version']) === undefined) {
          return missing('running as root, and runuser is missing');
        }
      }
      return { found: true, tool, path: binDir, version };
    }
  }
}

/** Where Debian and Ubuntu install each PostgreSQL major version's server binaries. */
const POSTGRES_LIB_DIR = '/usr/lib/postgresql';
/** What the private-cluster harness (postgres.ts) runs, plus the clients it uses. */
const POSTGRES_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'psql', 'createdb'];
/** The unprivileged user Debian's postgresql package creates; the server runs as it when we are root. */
export const POSTGRES_OS_USER = 'postgres';

/** The bin directory of the highest PostgreSQL version installed under `libDir`, if any. */
function newestPostgresBinDir(libDir: string): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(libDir).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => `${libDir}/${v}/bin`).find((dir) => existsSync(`${dir}/initdb`));
}

function firstLine(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  const line = result.stdout.split('\n', 1)[0]?.trim() ?? '';
  return line === '' ? undefined : line;
}
