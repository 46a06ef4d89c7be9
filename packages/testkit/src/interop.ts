import { TestkitError, TestkitErrorCode } from './errors.js';
import { findTool, type InteropTool, type ToolLookup } from './tools.js';

/** CAMGATE_REQUIRE_INTEROP=1 turns a missing interop tool from a skip into a failure (CI sets it). */
export function interopRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['CAMGATE_REQUIRE_INTEROP'] === '1';
}

/** The part of vitest's TestContext this needs. */
export interface SkippableContext {
  skip(note?: string): never;
}

export type ToolPaths = Record<InteropTool, string>;

/**
 * Gate for a test that needs real peers. Returns the tools' paths when all are
 * installed. Otherwise it skips the test with the reason visible in the report,
 * or, under CAMGATE_REQUIRE_INTEROP=1, fails it with that reason.
 *
 *   it('ffmpeg decodes our segment', async (ctx) => {
 *     const { ffmpeg } = requireTools(ctx, 'ffmpeg');
 *   });
 */
export function requireTools<T extends InteropTool>(ctx: SkippableContext, ...tools: T[]): Pick<ToolPaths, T> {
  return gateOnTools(ctx, tools.map(findTool), interopRequired()) as Pick<ToolPaths, T>;
}

/** The decision behind {@link requireTools}, separated so it can be tested without the real tools. */
export function gateOnTools(
  ctx: SkippableContext,
  lookups: readonly ToolLookup[],
  required: boolean,
): Partial<ToolPaths> {
  const paths: Partial<ToolPaths> = {};
  const reasons: string[] = [];
  for (const lookup of lookups) {
    if (lookup.found) paths[lookup.tool] = lookup.path;
    else reasons.push(lookup.reason);
  }
  if (reasons.length === 0) return paths;
  const reason = reasons.join('; ');
  if (required) {
    throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, `CAMGATE_REQUIRE_INTEROP=1 but ${reason}`);
  }
  return ctx.skip(`interop tool missing: ${reason}`);
}

/** True when every tool is installed (for deciding in beforeAll whether to start a server). */
export function hasTools(...tools: InteropTool[]): boolean {
  return tools.every((tool) => findTool(tool).found);
}
