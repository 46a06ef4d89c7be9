import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { TestkitError, TestkitErrorCode } from './errors.js';
import { findTool } from './tools.js';

/**
 * Flags for a sealed headless Chromium: no sandbox (we run as root in CI), no GPU,
 * and no background traffic, which a machine without internet would refuse by the dozen.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface ChromiumSession {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and deletes its profile directory. */
  close(): Promise<void>;
}

export interface LaunchChromiumOptions {
  /** Accept any certificate (tests serving HTTPS with a self-signed one). */
  ignoreHTTPSErrors?: boolean;
}

/**
 * Launches the system's Chromium (never a downloaded one) through playwright-core,
 * headless, with a fresh profile directory. Gate on `requireTools(ctx, 'chromium')` first.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<ChromiumSession> {
  const lookup = findTool('chromium');
  if (!lookup.found) throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, lookup.reason);
  const userDataDir = await mkdtemp(join(tmpdir(), 'camgate-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: lookup.path,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      ignoreHTTPSErrors: options.ignoreHTTPSErrors === true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      context,
      page,
      close: async () => {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
