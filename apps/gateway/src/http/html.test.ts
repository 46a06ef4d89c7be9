import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from './html.js';

describe('page helpers', () => {
  it('escapeHtml escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('jsonForScript cannot close its script block and parses back to the value', () => {
    const value = { name: '</script><!-- & \u2028 -->' };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
