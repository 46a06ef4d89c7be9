import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file is packages/testkit/src/repo.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface PackageManifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  /** e.g. "@camgate/codecs" */
  name: string;
  /** Path relative to the repo root, e.g. "packages/codecs". */
  dir: string;
  manifest: PackageManifest;
}

/** Every package of the pnpm workspace (packages/* and apps/*). */
export function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(repoRoot, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => {
        const dir = `${parent}/${entry.name}`;
        const manifest = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as PackageManifest;
        return { name: manifest.name, dir, manifest };
      }),
  );
}
