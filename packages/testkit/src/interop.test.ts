import { describe, expect, it } from 'vitest';
import { TestkitErrorCode } from './errors.js';
import { gateOnTools, interopRequired, type SkippableContext } from './interop.js';
import { lookUpTool, type ToolLookup } from './tools.js';

class SkipSignal extends Error {}
const ctx: SkippableContext = {
  skip(note?: string): never {
    throw new SkipSignal(note);
  },
};

const ffmpeg: ToolLookup = { found: true, tool: 'ffmpeg', path: '/usr/bin/ffmpeg', version: 'ffmpeg version 5.1' };
const noChromium: ToolLookup = {
  found: false,
  tool: 'chromium',
  reason: 'no Chromium binary found; install: apt-get install chromium',
};

describe('interop gate', () => {
  it('returns tool paths when everything is installed', () => {
    expect(gateOnTools(ctx, [ffmpeg], true)).toEqual({ ffmpeg: '/usr/bin/ffmpeg' });
  });

  it('skips with the reason and the install hint when a tool is missing', () => {
    expect(() => gateOnTools(ctx, [ffmpeg, noChromium], false)).toThrow(
      new SkipSignal('interop tool missing: no Chromium binary found; install: apt-get install chromium'),
    );
  });

  it('fails instead under CAMGATE_REQUIRE_INTEROP=1', () => {
    expect(() => gateOnTools(ctx, [noChromium], true)).toThrow(
      expect.objectContaining({ code: TestkitErrorCode.INTEROP_TOOL_MISSING }),
    );
  });

  it('reads CAMGATE_REQUIRE_INTEROP strictly as "1"', () => {
    expect([
      interopRequired({ CAMGATE_REQUIRE_INTEROP: '1' }),
      interopRequired({ CAMGATE_REQUIRE_INTEROP: 'yes' }),
      interopRequired({}),
    ]).toEqual([true, false, false]);
  });

  it('reports a tool that is not there, with how to install it', () => {
    const lookup = lookUpTool('ffprobe', { CAMGATE_FFPROBE: '/nonexistent/ffprobe' });
    expect(lookup).toEqual({
      found: false,
      tool: 'ffprobe',
      reason: 'ffprobe not found (tried /nonexistent/ffprobe); install: apt-get install ffmpeg',
    });
  });
});
