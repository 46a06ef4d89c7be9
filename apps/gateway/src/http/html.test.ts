import { describe, expect, it } from 'vitest';
import { cspHash, escapeHtml, jsonForScript, pageCsp, pageHead } from './html.js';

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

  it.each([
    ['our own files only', { frameAncestors: "'self'" }, "script-src 'self';", "style-src 'self';"],
    [
      'an inline script and style by hash',
      { frameAncestors: '*', script: 'go()', style: 'p{}' },
      `script-src 'self' ${cspHash('go()')};`,
      `style-src 'self' ${cspHash('p{}')};`,
    ],
  ])('pageCsp allows %s', (_name, page, script, style) => {
    const csp = `${pageCsp(page)};`;
    expect(csp).toContain(script);
    expect(csp).toContain(style);
    expect(csp).not.toContain('unsafe');
    expect(csp).toContain(`frame-ancestors ${page.frameAncestors};`);
  });

  it('pageHead links files (escaped) or inlines a style', () => {
    const files = pageHead('A & B', { stylesheets: ['a.css?x="1"'], modules: ['../assets/web/e.js'] });
    expect(files).toContain('<title>A &amp; B</title>');
    expect(files).toContain('<link rel="stylesheet" href="a.css?x=&quot;1&quot;">');
    expect(files).toContain('<script type="module" src="../assets/web/e.js"></script>');
    expect(files).not.toContain('<style>');
    expect(pageHead('t', 'p{}')).toContain('<style>p{}</style>');
  });
});
