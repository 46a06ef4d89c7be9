import { describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import { requireTools } from './interop.js';

describe('headless Chromium', () => {
  it('launches the system Chromium with MSE for H.264 and AAC', async (ctx) => {
    requireTools(ctx, 'chromium');
    const browser = await launchChromium();
    try {
      const supported = await browser.page.evaluate(() =>
        ['video/mp4; codecs="avc1.42c01e"', 'video/mp4; codecs="avc1.640028"', 'audio/mp4; codecs="mp4a.40.2"'].map(
          (type) => MediaSource.isTypeSupported(type),
        ),
      );
      expect(supported).toEqual([true, true, true]);
    } finally {
      await browser.close();
    }
  });
});
