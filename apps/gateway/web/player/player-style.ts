/**
 * The player's own style, in its shadow root as a constructed stylesheet: no `<style>` element,
 * which a page's CSP (`style-src 'self'`) would refuse; a constructed sheet is not inline markup.
 * The page sizes the element (`camgate-player { aspect-ratio: 16 / 9 }`); parts `video`,
 * `overlay` and `notice` can be styled from outside.
 */
export const PLAYER_STYLE = `
:host { display: block; position: relative; background: #000; color: #fff; overflow: hidden;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
:host([hidden]) { display: none; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
.overlay { position: absolute; inset: 0; display: flex; flex-direction: column; gap: 0.75rem; align-items: center;
  justify-content: center; background: rgba(0, 0, 0, 0.55); text-align: center; padding: 1rem;
  font-size: clamp(0.8rem, 3cqw, 1.1rem); pointer-events: none; }
.overlay button { pointer-events: auto; font: inherit; padding: 0.5em 1.2em; border-radius: 999px; border: 0;
  background: #fff; color: #000; cursor: pointer; }
.notice { position: absolute; left: 0.5rem; bottom: 0.5rem; max-width: calc(100% - 1rem); padding: 0.25rem 0.5rem;
  border-radius: 0.25rem; background: rgba(0, 0, 0, 0.6); font-size: 0.8rem; pointer-events: none; }
[hidden] { display: none !important; }
`;
