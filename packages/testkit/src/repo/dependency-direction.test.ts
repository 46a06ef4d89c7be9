import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot, workspacePackages } from '../repo.js';

const SCOPE = '@camgate/';
const TESTKIT = '@camgate/testkit';

/** The dependency table of docs/architecture.md: package -> packages it may depend on. */
function readDependencyTable(): Map<string, Set<string>> {
  const doc = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
  const start = doc.indexOf('<!-- dependency-table:start -->');
  const end = doc.indexOf('<!-- dependency-table:end -->');
  expect(start, 'docs/architecture.md has the dependency-table markers').toBeGreaterThanOrEqual(0);
  const table = new Map<string, Set<string>>();
  for (const line of doc.slice(start, end).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(@camgate\/[a-z0-9-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    const allowed = [...(cells[3] ?? '').matchAll(/`(@camgate\/[a-z0-9-]+)`/g)].map((m) => m[1] as string);
    table.set(name, new Set(allowed));
  }
  return table;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => `${dir}/src/${file}`);
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(repoRoot, file), 'utf8'), true, true);
  return info.importedFiles.map((ref) => ref.fileName);
}

/** Subpaths a workspace package exports besides its entry point (`@camgate/hls/testing`). */
function exportedSubpaths(name: string): Set<string> {
  const target = workspacePackages().find((p) => p.name === name);
  if (target === undefined) return new Set();
  const manifest = JSON.parse(readFileSync(join(repoRoot, target.dir, 'package.json'), 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  return new Set(
    Object.keys(manifest.exports ?? {})
      .filter((key) => key !== '.')
      .map((key) => `${name}/${key.replace(/^\.\//, '')}`),
  );
}

const isTestFile = (file: string) => /\.(test|bench)\.ts$|\/test-[^/]+\.ts$/.test(file);

const table = readDependencyTable();
const packages = workspacePackages();

describe('dependency direction (docs/architecture.md)', () => {
  it('lists every workspace package, and only those', () => {
    expect([...table.keys()].sort()).toEqual(packages.map((p) => p.name).sort());
  });

  it('is acyclic: the table orders packages from the bottom up', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `cycle: ${[...path, name].join(' -> ')}`).toBe(false);
      visiting.add(name);
      for (const dep of table.get(name) ?? []) visit(dep, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of table.keys()) visit(name, []);
  });

  for (const pkg of packages) {
    describe(pkg.name, () => {
      const allowed = table.get(pkg.name) ?? new Set<string>();
      const declared = Object.keys({
        ...pkg.manifest.dependencies,
        ...pkg.manifest.devDependencies,
        ...pkg.manifest.peerDependencies,
      }).filter((name) => name.startsWith(SCOPE));

      it('declares only workspace dependencies the table allows', () => {
        expect(declared.filter((name) => !allowed.has(name))).toEqual([]);
      });

      it('has tsconfig.build.json references equal to its workspace dependencies', () => {
        const config = JSON.parse(readFileSync(join(repoRoot, pkg.dir, 'tsconfig.build.json'), 'utf8')) as {
          references?: Array<{ path: string }>;
        };
        const referenced = (config.references ?? []).map((ref) => {
          const target = resolve(repoRoot, pkg.dir, ref.path);
          return packages.find((p) => target === join(repoRoot, p.dir, 'tsconfig.build.json'))?.name ?? ref.path;
        });
        const runtime = Object.keys(pkg.manifest.dependencies ?? {}).filter((name) => name.startsWith(SCOPE));
        expect(referenced.sort()).toEqual(runtime.sort());
      });

      it('imports only declared workspace packages and never reaches into another package', () => {
        const problems: string[] = [];
        for (const file of sourceFiles(pkg.dir)) {
          for (const specifier of importsOf(file)) {
            if (specifier.startsWith('.')) {
              const target = relative(join(repoRoot, pkg.dir), resolve(repoRoot, dirname(file), specifier));
              if (target.startsWith('..')) problems.push(`${file}: relative import ${specifier} leaves the package`);
              continue;
            }
            if (!specifier.startsWith(SCOPE)) continue;
            const name = specifier.split('/').slice(0, 2).join('/');
            if (name === pkg.name) {
              problems.push(`${file}: imports its own package by name (${specifier})`);
            } else if (name === TESTKIT && pkg.name !== TESTKIT) {
              if (!isTestFile(file)) problems.push(`${file}: production code imports ${TESTKIT}`);
            } else if (!declared.includes(name)) {
              problems.push(`${file}: imports ${name}, which ${pkg.dir}/package.json does not declare`);
            } else if (specifier !== name && !exportedSubpaths(name).has(specifier)) {
              problems.push(`${file}: deep import ${specifier}; use the package entry point or an exported subpath`);
            }
          }
        }
        expect(problems).toEqual([]);
      });
    });
  }
});
