// The dashboard (GET /, src/http/dashboard-page.ts serves its HTML): signs in with the API key when
// the gateway has one, polls the cameras, and wires the wall, the stills and the camera form.
import '../player/camgate-player.js';
import { ApiClient, ApiError, AuthNeeded, type PageConfig, type Problem } from './api.js';
import { CameraForm } from './camera-form.js';
import { Stills } from './stills.js';
import type { Tile } from './tile.js';
import { Wall } from './wall.js';

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no #${id}`);
  return node;
}

function readConfig(): PageConfig {
  const parsed = JSON.parse(byId('config', HTMLElement).textContent) as Partial<PageConfig>;
  return {
    version: typeof parsed.version === 'string' ? parsed.version : '',
    api: parsed.api === true,
    keyed: parsed.keyed === true,
    pollMs: typeof parsed.pollMs === 'number' && parsed.pollMs > 0 ? parsed.pollMs : 3000,
  };
}

const config = readConfig();
const notice = byId('notice', HTMLElement);
const login = byId('login', HTMLElement);
const keyForm = byId('key-form', HTMLFormElement);
const keyInput = byId('key-input', HTMLInputElement);
const keyError = byId('key-error', HTMLElement);
const addButton = byId('add-button', HTMLButtonElement);
const signOut = byId('sign-out', HTMLButtonElement);
const main = document.querySelector('main') ?? byId('main', HTMLElement);

let pollTimer = 0;
let waitingForKey = false;
// A key typed in is kept (sessionStorage) once the gateway took it: a refused key is never kept.
let keyConfirmed = true;

const api = new ApiClient({ keyed: config.keyed, onAuthNeeded: askForKey });

function showNotice(text: string): void {
  notice.textContent = text;
  notice.hidden = text === '';
}

const form = new CameraForm(api, {
  keyed: config.keyed,
  saved: () => {
    void refresh();
  },
});

const wall = new Wall(
  {
    grid: byId('grid', HTMLElement),
    empty: byId('empty', HTMLElement),
    noMatch: byId('no-match', HTMLElement),
    toolbar: byId('toolbar', HTMLElement),
    statesBar: byId('states', HTMLElement),
    filterInput: byId('filter', HTMLInputElement),
  },
  {
    api,
    template: byId('tile-template', HTMLTemplateElement),
    openForm: (camera) => {
      form.open(camera);
    },
    removeCamera: (tile) => {
      void removeCamera(tile);
    },
    showNotice,
  },
);
const stills = new Stills(
  api,
  () => wall.tiles.values(),
  (tile) => wall.shown(tile),
);
wall.stills = stills;

/** The login screen: nothing of the cameras shows (or plays) until the gateway takes a key. */
function askForKey(wrong: boolean): void {
  waitingForKey = true;
  window.clearTimeout(pollTimer);
  if (wrong) api.storeKey('');
  stills.stop();
  wall.clear();
  keyError.textContent = wrong ? 'That key was refused. Try again.' : '';
  showNotice('');
  main.hidden = true;
  addButton.hidden = true;
  signOut.hidden = true;
  login.hidden = false;
  keyInput.focus();
}

// The input has no name and the form no action: even without this script, the key never goes into a URL.
keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key === '') return;
  api.tryKey(key);
  keyConfirmed = false;
  keyInput.value = '';
  login.hidden = true;
  main.hidden = false;
  addButton.hidden = false;
  waitingForKey = false;
  void refresh();
});

signOut.addEventListener('click', () => {
  api.storeKey('');
  askForKey(false);
});

addButton.addEventListener('click', () => {
  form.open(null);
});

async function removeCamera(tile: Tile): Promise<void> {
  const question = `Delete the camera “${tile.camera.name}”? Its stream and embed links stop working.`;
  if (!window.confirm(question)) return;
  try {
    const res = await api.request<Problem>('DELETE', `v1/cameras/${encodeURIComponent(tile.id)}`);
    if (res.ok || res.status === 404) wall.remove(tile);
    else showNotice(res.data?.detail ?? 'The camera could not be deleted.');
  } catch (err) {
    if (!(err instanceof AuthNeeded)) showNotice('The gateway cannot be reached.');
  }
}

async function refresh(): Promise<void> {
  window.clearTimeout(pollTimer);
  try {
    const cameras = await api.cameras();
    if (waitingForKey) return;
    if (!keyConfirmed) {
      keyConfirmed = true;
      api.storeKey(api.key);
    }
    signOut.hidden = api.key === '';
    showNotice('');
    wall.render(cameras);
    stills.start();
    schedule();
  } catch (err) {
    if (err instanceof AuthNeeded) return;
    const res = err instanceof ApiError ? err.result : null;
    if (res?.status === 404 && !config.api) {
      showNotice('This gateway runs without a camera registry: there is no camera API to show.');
      addButton.hidden = true;
      return;
    }
    const detail = res?.data?.detail;
    showNotice(detail !== undefined ? `The gateway answered: ${detail}` : 'The gateway cannot be reached. Retrying…');
    schedule();
  }
}

function schedule(): void {
  window.clearTimeout(pollTimer);
  if (!waitingForKey) {
    pollTimer = window.setTimeout(() => {
      void refresh();
    }, config.pollMs);
  }
}

if (config.keyed && api.key === '') askForKey(false);
else void refresh();
