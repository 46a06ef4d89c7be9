import type { FastifyInstance } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { VERSION } from '../version.js';
import { escapeHtml, jsonForScript, pageCsp, pageHead, sendPage } from './html.js';

/** Every 3 s the dashboard asks for the cameras' states. */
const POLL_MS = 3000;

/**
 * The page's own files (apps/gateway/web/dashboard, compiled to dist/web and served by
 * web-assets.ts), relative: the page works under a reverse proxy's path prefix.
 */
const DASHBOARD_FILES = {
  stylesheets: ['assets/web/dashboard/dashboard.css'],
  modules: ['assets/web/dashboard/main.js'],
};

/**
 * Only this gateway's files, no inline script or style; stills are `data:` images (snapshots
 * fetched with the API key). The dashboard changes cameras: no other site may frame it (clickjacking).
 */
const DASHBOARD_CSP = pageCsp({ frameAncestors: "'none'" });

function fieldError(field: string): string {
  return `<p class="field-error" data-error-for="${field}" hidden></p>`;
}

function dashboardPage(config: { version: string; api: boolean; keyed: boolean; pollMs: number }): string {
  return `${pageHead('camgate', DASHBOARD_FILES)}
<header>
<h1>camgate ${escapeHtml(config.version)}</h1>
<nav>
<button type="button" class="primary" id="add-button">Add camera</button>
<a href="docs">API docs</a>
<button type="button" id="sign-out" hidden>Sign out</button>
</nav>
</header>
<section id="login" hidden>
<form id="key-form" autocomplete="off">
<h2>Sign in</h2>
<p class="hint">This gateway is protected by its API key (CAMGATE_API_KEY). It is kept in this browser tab only, and forgotten when the tab closes.</p>
<label for="key-input">API key</label>
<input id="key-input" type="password" autocomplete="off" spellcheck="false" required>
<p class="field-error" id="key-error" role="alert"></p>
<button type="submit" class="primary">Sign in</button>
</form>
</section>
<p class="banner" id="notice" role="status" hidden></p>
<main>
<div class="toolbar" id="toolbar" hidden>
<input type="search" id="filter" placeholder="Filter by name or id" aria-label="Filter cameras by name or id" autocomplete="off" spellcheck="false">
<div class="states" id="states" role="group" aria-label="Show cameras in one state"></div>
</div>
<p id="no-match" hidden>No camera matches the filter.</p>
<div id="grid"></div>
<p id="empty" hidden>No cameras yet. Press <strong>Add camera</strong> and give it the camera’s RTSP URL.</p>
</main>
<dialog id="camera-dialog">
<form id="camera-form" novalidate>
<h2 id="form-title">Add camera</h2>
<label for="f-name">Name</label>
<input type="text" id="f-name" name="name" maxlength="200" required placeholder="Front door">
${fieldError('name')}
<label for="f-url">RTSP URL</label>
<input type="text" id="f-url" name="url" maxlength="2048" required spellcheck="false" autocomplete="off" placeholder="rtsp://192.168.1.20:554/stream1">
<p class="hint" id="url-hint" hidden>Secrets in the URL show as ***: leave them as they are to keep them.</p>
${fieldError('url')}
<div class="pair">
<div><label for="f-username">User name</label>
<input type="text" id="f-username" name="username" maxlength="256" spellcheck="false" autocomplete="off">
${fieldError('username')}</div>
<div><label for="f-password">Password</label>
<input type="password" id="f-password" name="password" maxlength="256" autocomplete="new-password">
${fieldError('password')}</div>
</div>
<p class="hint" id="password-hint" hidden>Leave the password empty to keep the stored one.</p>
<label for="f-transport">Transport</label>
<select id="f-transport" name="transport">
<option value="auto">Auto (TCP, then UDP)</option>
<option value="tcp">TCP (interleaved)</option>
<option value="udp">UDP</option>
</select>
${fieldError('transport')}
<label for="f-audio">Audio</label>
<select id="f-audio" name="audio">
<option value="auto">Auto (when the browser can play it)</option>
<option value="off">Off</option>
</select>
${fieldError('audio')}
<label for="f-transcode">H.264 transcoding</label>
<select id="f-transcode" name="transcode">
<option value="off">Off: players get the camera’s own video</option>
<option value="h264">H.264: also offer an H.264 copy of the video</option>
</select>
<p class="hint">For H.265 cameras: browsers that cannot decode H.265 play the copy. Needs ffmpeg on the gateway, and a CPU core while someone watches.</p>
${fieldError('transcode')}
<label for="f-playback">Playback</label>
<select id="f-playback" name="playback">
<option value="public">Public: anyone who can reach the gateway</option>
<option value="signed">Signed: only with a playback token</option>
</select>
<p class="hint">Signed: web pages embed the camera with tokens their server mints (see the embed snippet); this dashboard mints its own.</p>
${fieldError('playback')}
<label class="check"><input type="checkbox" name="onDemand"> On demand: pull the camera only while someone watches</label>
${fieldError('onDemand')}
<label class="check"><input type="checkbox" name="record"> Record to disk (keeps pulling the camera, even on demand)</label>
<label for="f-keep-days">Keep recordings (days)</label>
<input type="number" id="f-keep-days" name="keepDays" min="0.05" max="3660" step="any" placeholder="until the disk budget needs room">
${fieldError('recording')}
<label class="check"><input type="checkbox" name="enabled" checked> Enabled</label>
${fieldError('enabled')}
<label class="check" id="duplicate-row" hidden><input type="checkbox" name="allowDuplicateSource"> Add it anyway: a second connection to the same camera stream</label>
<p class="probe-result" id="probe-result" role="status" hidden></p>
<p class="form-error" id="form-error" role="alert"></p>
<div class="dialog-actions">
<button type="button" id="probe">Test connection</button>
<button type="button" id="cancel">Cancel</button>
<button type="submit" class="primary">Save</button>
</div>
</form>
</dialog>
<template id="tile-template">
<article class="tile">
<div class="screen" data-mode="none"><div class="overlay"><span class="overlay-text">Connecting…</span><button type="button" class="play" hidden>▶ Play</button></div></div>
<div class="info">
<div class="title-row"><h2 class="name"></h2><span class="badge"></span></div>
<p class="meta"></p>
<p class="error" hidden></p>
<ul class="tracks" hidden></ul>
<div class="actions">
<button type="button" class="edit">Edit</button>
<button type="button" class="delete danger">Delete</button>
<a class="open" target="_blank" rel="noopener">Open player</a>
</div>
<details class="recordings" hidden><summary>Recordings</summary>
<div class="timeline" role="button" tabindex="0" aria-label="Recorded spans of the last 24 hours: click to play from a time"></div>
<p class="hint timeline-times"></p>
<p class="hint recordings-message" role="status"></p>
<video class="recorded" controls muted playsinline hidden></video>
<div class="recording-actions">
<button type="button" class="back-to-live" hidden>Back to live</button>
<a class="clip" download hidden>Download a minute from here</a>
</div>
</details>
<details class="embed"><summary>Embed on a web page</summary>
<textarea class="snippet" rows="3" readonly spellcheck="false"></textarea>
<button type="button" class="copy">Copy</button>
<div class="signing" hidden>
<p class="hint signing-text"></p>
<p class="hint">Node:</p>
<pre class="signing-node"></pre>
<p class="hint">Python:</p>
<pre class="signing-python"></pre>
</div>
</details>
</div>
</article>
</template>
<script type="application/json" id="config">${jsonForScript(config)}</script>
</body>
</html>
`;
}

/**
 * `GET /`: the dashboard: this HTML (the markup the script fills, and its data block), its script
 * and style from /assets/web/dashboard/: the cameras as live tiles (or stills past the browser's
 * connection budget) with their states and per-track status, add/edit/delete through
 * `/v1/cameras`, embed snippets.
 */
export function registerDashboard(
  app: FastifyInstance,
  options: { cameras: CameraManager | undefined; keyed?: boolean },
): void {
  const html = dashboardPage({
    version: VERSION,
    api: options.cameras !== undefined,
    keyed: options.keyed === true,
    pollMs: POLL_MS,
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 200, DASHBOARD_CSP, html));
}
