// The add/edit camera dialog: what it sends (POST, or a PATCH of what changed), the API's field
// errors by their fields, and "Test connection" (POST .../probe, nothing saved).
import { AuthNeeded, type ApiClient, type Camera, type Problem, type TrackStatus } from './api.js';
import { describeProbe } from './status-text.js';

/** The form's fields that have an error slot (the API's `errors[].field` names). */
const FIELDS = [
  'name',
  'url',
  'username',
  'password',
  'transport',
  'audio',
  'playback',
  'transcode',
  'onDemand',
  'enabled',
  'recording',
] as const;
/** The camera's settings the form edits, by their API names. */
const SETTINGS = ['name', 'url', 'transport', 'audio', 'playback', 'transcode', 'onDemand', 'enabled'] as const;

interface FormValues {
  name: string;
  url: string;
  username: string;
  password: string;
  transport: string;
  audio: string;
  playback: string;
  transcode: string;
  onDemand: boolean;
  enabled: boolean;
  /** Record to disk, keeping `keepDays` days ('' keeps until the gateway's budget needs room). */
  record: boolean;
  keepDays: string;
}

/** The retention by age the form shows, in days ('' for none). */
function keepDaysOf(camera: Camera): string {
  const hours = camera.recording?.retention?.maxAgeHours;
  return hours === undefined ? '' : String(Math.round((hours / 24) * 100) / 100);
}

/**
 * The `recording` to send: a new camera's when it records, an edit's when recording or its days
 * changed (the gateway merges: its size limit, set through the API, is kept).
 */
function recordingBody(values: FormValues, editing: Camera | null): Record<string, unknown> | undefined {
  const days = values.keepDays === '' ? undefined : Number(values.keepDays);
  const retention = days === undefined ? null : { maxAgeHours: days * 24 };
  if (editing === null) {
    if (!values.record) return undefined;
    return retention === null ? { enabled: true } : { enabled: true, retention };
  }
  const wasRecording = editing.recording?.enabled === true;
  const daysChanged = values.keepDays !== keepDaysOf(editing);
  if (values.record === wasRecording && !daysChanged) return undefined;
  const body: Record<string, unknown> = { enabled: values.record };
  if (daysChanged) body['retention'] = retention === null ? null : { ...editing.recording?.retention, ...retention };
  return body;
}

/** The camera being edited, with its URL as the form shows it (credentials in their own fields). */
type Editing = Camera & { formUrl: string; formUsername: string };

const PASSWORD_AGAIN: Problem = {
  errors: [
    {
      field: 'password',
      message:
        'the address or user name changed: type the password again (a stored password is only kept for the same user on the same host)',
    },
  ],
};

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no #${id}`);
  return node;
}

/** The URL split for the form: credentials go to their own fields, the URL keeps the rest. */
export function splitUrl(url: string): { url: string; username: string } {
  const match = /^(rtsps?:[/][/])([^@/?#]*)@(.*)$/i.exec(url);
  if (match === null) return { url, username: '' };
  const [, scheme = '', userinfo = '', rest = ''] = match;
  const colon = userinfo.indexOf(':');
  let user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  try {
    user = decodeURIComponent(user);
  } catch {
    // Shown as it is.
  }
  return { url: scheme + rest, username: user };
}

/** Where a URL leads: scheme, host and port (the scheme's default filled in), for the password rule. */
function placeOf(url: string): { scheme: string; host: string; port: string } {
  const match = /^(rtsps?):[/][/](?:[^@/?#]*@)?([[][^\]]*\]|[^:/?#]*)(?::(\d+))?/i.exec(url);
  if (match === null) return { scheme: '', host: '', port: '' };
  const scheme = (match[1] ?? '').toLowerCase();
  return { scheme, host: (match[2] ?? '').toLowerCase(), port: match[3] ?? (scheme === 'rtsps' ? '322' : '554') };
}

/** The gateway's rule: same host, same port (unless rtsp became rtsps), never rtsps to rtsp. */
function samePlace(a: string, b: string): boolean {
  const from = placeOf(a);
  const to = placeOf(b);
  return (
    from.host === to.host &&
    (from.port === to.port || from.scheme !== to.scheme) &&
    !(from.scheme === 'rtsps' && to.scheme === 'rtsp')
  );
}

export class CameraForm {
  readonly #api: ApiClient;
  readonly #keyed: boolean;
  readonly #saved: () => void;
  readonly #dialog = byId('camera-dialog', HTMLDialogElement);
  readonly #form = byId('camera-form', HTMLFormElement);
  readonly #title = byId('form-title', HTMLElement);
  readonly #error = byId('form-error', HTMLElement);
  readonly #urlHint = byId('url-hint', HTMLElement);
  readonly #probeResult = byId('probe-result', HTMLElement);
  readonly #probeButton = byId('probe', HTMLButtonElement);
  readonly #duplicateRow = byId('duplicate-row', HTMLElement);
  readonly #passwordHint = byId('password-hint', HTMLElement);
  #editing: Editing | null = null;

  /** `saved`: a camera was added or changed (the page polls at once). */
  constructor(api: ApiClient, options: { keyed: boolean; saved: () => void }) {
    this.#api = api;
    this.#keyed = options.keyed;
    this.#saved = options.saved;
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
    this.#probeButton.addEventListener('click', () => {
      void this.#probe();
    });
    byId('cancel', HTMLElement).addEventListener('click', () => {
      this.close();
    });
  }

  #control<T extends HTMLInputElement | HTMLSelectElement>(name: string, type: new () => T): T {
    const control = this.#form.elements.namedItem(name);
    if (!(control instanceof type)) throw new Error(`the camera form has no ${name}`);
    return control;
  }

  #input(name: string): HTMLInputElement {
    return this.#control(name, HTMLInputElement);
  }

  #select(name: string): HTMLSelectElement {
    return this.#control(name, HTMLSelectElement);
  }

  open(camera: Camera | null): void {
    this.#clearErrors();
    this.#form.reset();
    this.#title.textContent = camera === null ? 'Add camera' : 'Edit camera';
    this.#urlHint.hidden = camera === null;
    this.#duplicateRow.hidden = true;
    this.#input('allowDuplicateSource').checked = false;
    this.#input('password').placeholder = camera?.hasPassword === true ? 'unchanged' : '';
    this.#passwordHint.hidden = camera?.hasPassword !== true;
    // The gateway's default: signed when it has an API key (it serves a network), public otherwise.
    this.#select('playback').value = this.#keyed ? 'signed' : 'public';
    this.#editing = null;
    if (camera !== null) {
      const split = splitUrl(camera.url);
      this.#editing = { ...camera, formUrl: split.url, formUsername: split.username };
      this.#input('name').value = camera.name;
      this.#input('url').value = split.url;
      this.#input('username').value = split.username;
      this.#select('transport').value = camera.transport;
      this.#select('audio').value = camera.audio;
      this.#select('playback').value = camera.playback === 'signed' ? 'signed' : 'public';
      this.#select('transcode').value = camera.transcode === 'h264' ? 'h264' : 'off';
      this.#input('onDemand').checked = camera.onDemand;
      this.#input('enabled').checked = camera.enabled;
      this.#input('record').checked = camera.recording?.enabled === true;
      this.#input('keepDays').value = keepDaysOf(camera);
    }
    this.#dialog.showModal();
    this.#input('name').focus();
  }

  close(): void {
    this.#editing = null;
    this.#dialog.close();
  }

  #values(): FormValues {
    return {
      name: this.#input('name').value,
      url: this.#input('url').value.trim(),
      username: this.#input('username').value,
      password: this.#input('password').value,
      transport: this.#select('transport').value,
      audio: this.#select('audio').value,
      playback: this.#select('playback').value,
      transcode: this.#select('transcode').value,
      onDemand: this.#input('onDemand').checked,
      enabled: this.#input('enabled').checked,
      record: this.#input('record').checked,
      keepDays: this.#input('keepDays').value.trim(),
    };
  }

  /**
   * What to send: for a new camera, everything (credentials only when typed; transcode only when
   * on, off being the default); for an edit, only what changed. The password is write-only: empty
   * keeps the stored one, which the gateway never sends to another host, so a changed host needs
   * it typed again.
   */
  #body(values: FormValues): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    const editing = this.#editing;
    if (editing === null) {
      for (const field of SETTINGS) body[field] = values[field];
      if (values.transcode === 'off') delete body['transcode'];
      if (values.username !== '') body['username'] = values.username;
      if (values.password !== '') body['password'] = values.password;
    } else {
      for (const field of SETTINGS) {
        const before =
          field === 'url' ? editing.formUrl : field === 'transcode' ? (editing.transcode ?? 'off') : editing[field];
        if (values[field] !== before) body[field] = values[field];
      }
      if (values.username !== editing.formUsername) body['username'] = values.username === '' ? null : values.username;
      if (values.password !== '') body['password'] = values.password;
    }
    const recording = recordingBody(values, editing);
    if (recording !== undefined) body['recording'] = recording;
    if (this.#input('allowDuplicateSource').checked) body['allowDuplicateSource'] = true;
    return body;
  }

  /** A stored password is kept for the same user on the same host only: otherwise it must be typed. */
  #passwordNeeded(values: FormValues): boolean {
    const editing = this.#editing;
    return (
      editing?.hasPassword === true &&
      values.password === '' &&
      values.username !== '' &&
      (!samePlace(editing.formUrl, values.url) || values.username !== editing.formUsername)
    );
  }

  /** The form's values, or null (with the reason shown) when the password must be typed again. */
  #checkedValues(): FormValues | null {
    this.#clearErrors();
    const values = this.#values();
    if (!this.#passwordNeeded(values)) return values;
    this.#showProblem(PASSWORD_AGAIN, 0);
    return null;
  }

  async #submit(): Promise<void> {
    const values = this.#checkedValues();
    if (values === null) return;
    const body = this.#body(values);
    const editing = this.#editing;
    if (editing !== null && Object.keys(body).length === 0) {
      this.close();
      return;
    }
    const submit = this.#form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit !== null) submit.disabled = true;
    try {
      const res =
        editing === null
          ? await this.#api.request<Problem>('POST', 'v1/cameras', body)
          : await this.#api.request<Problem>('PATCH', `v1/cameras/${encodeURIComponent(editing.id)}`, body);
      if (!res.ok) {
        if (res.data?.code === 'CAMGATE_ERR_DUPLICATE_SOURCE') this.#duplicateRow.hidden = false;
        this.#showProblem(res.data, res.status);
        return;
      }
      this.close();
      this.#saved();
    } catch (err) {
      this.#error.textContent =
        err instanceof AuthNeeded ? 'Enter the API key above, then save again.' : 'The gateway cannot be reached.';
    } finally {
      if (submit !== null) submit.disabled = false;
    }
  }

  // Test connection: the gateway connects with what the form says (the stored password where the
  // field is empty), receives a few seconds and reports the tracks; nothing is saved.
  async #probe(): Promise<void> {
    const values = this.#checkedValues();
    if (values === null) return;
    const body = this.#body(values);
    delete body['allowDuplicateSource'];
    delete body['transcode'];
    delete body['recording'];
    const editing = this.#editing;
    if (editing === null) delete body['name'];
    const path = editing === null ? 'v1/cameras/probe' : `v1/cameras/${encodeURIComponent(editing.id)}/probe`;
    const result = this.#probeResult;
    this.#probeButton.disabled = true;
    result.hidden = false;
    result.removeAttribute('data-ok');
    result.textContent = 'Connecting to the camera…';
    try {
      const res = await this.#api.request<Problem & { transport?: string; tracks?: TrackStatus[] }>('POST', path, body);
      if (res.ok && res.data !== null) {
        result.setAttribute('data-ok', 'true');
        result.textContent = describeProbe(res.data);
      } else if (res.data?.cameraError !== undefined) {
        result.setAttribute('data-ok', 'false');
        result.textContent = `✗ ${res.data.cameraError.message} [${res.data.cameraError.code}]`;
      } else {
        result.hidden = true;
        this.#showProblem(res.data, res.status);
      }
    } catch (err) {
      result.hidden = true;
      this.#error.textContent =
        err instanceof AuthNeeded ? 'Enter the API key above, then try again.' : 'The gateway cannot be reached.';
    } finally {
      this.#probeButton.disabled = false;
    }
  }

  #clearErrors(): void {
    this.#error.textContent = '';
    this.#probeResult.textContent = '';
    this.#probeResult.hidden = true;
    for (const node of this.#form.querySelectorAll<HTMLElement>('[data-error-for]')) {
      node.textContent = '';
      node.hidden = true;
    }
    for (const node of this.#form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  }

  /**
   * The API's field errors by their fields, the rest above the buttons. Transcoding refused for
   * want of ffmpeg (501 FFMPEG_NOT_FOUND) is said by the transcode field, in the gateway's words.
   */
  #showProblem(problem: Problem | null, status: number): void {
    const general: string[] = [];
    let first: HTMLElement | null = null;
    const fieldErrors = Array.isArray(problem?.errors) ? problem.errors : [];
    if (problem?.code?.endsWith('FFMPEG_NOT_FOUND') === true && fieldErrors.length === 0) {
      fieldErrors.push({ field: 'transcode', message: problem.detail ?? 'the gateway has no ffmpeg' });
    }
    for (const item of fieldErrors) {
      const field = typeof item.field === 'string' ? item.field : '';
      const message = typeof item.message === 'string' ? item.message : 'is invalid';
      const slot = (FIELDS as readonly string[]).includes(field)
        ? this.#form.querySelector<HTMLElement>(`[data-error-for="${field}"]`)
        : null;
      if (slot === null) {
        general.push((field !== '' ? `${field}: ` : '') + message);
        continue;
      }
      slot.textContent = slot.textContent !== '' ? `${slot.textContent}; ${message}` : message;
      slot.hidden = false;
      const control = this.#form.elements.namedItem(field);
      if (!(control instanceof HTMLElement)) continue;
      control.setAttribute('aria-invalid', 'true');
      first ??= control;
    }
    if (general.length === 0 && fieldErrors.length === 0) {
      general.push(problem?.detail ?? `The gateway answered ${status}.`);
    }
    this.#error.textContent = general.join('; ');
    first?.focus();
  }
}
