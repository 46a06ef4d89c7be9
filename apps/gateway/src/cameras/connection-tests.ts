import { errors } from '../errors.js';
import type { CameraRecord } from '../store/camera-store.js';
import type { CameraPipelineOptions } from './camera-pipeline.js';
import { CameraProbeError, probeCamera, type CameraProbeResult } from './camera-probe.js';

/** How a connection test runs. */
export interface ProbeOptions {
  /** How long to receive once playing (default 3 s). */
  durationMs?: number | undefined;
  /** Ends the test early: the client went away. */
  signal?: AbortSignal;
}

/**
 * 4 connection tests at once: each is an RTSP session for a few seconds, and a camera allows only
 * 2-4 sessions; more would be a way to make the gateway open connections for anyone with the key.
 */
const MAX_CONCURRENT_PROBES = 4;
/** 3 s: a connection test takes about that long, so one slot is free again by then. */
const PROBE_RETRY_S = 3;

/**
 * Connection tests (`POST /v1/cameras/probe`, `?dryRun` changes): connect as a pipeline would,
 * receive for a while, report the tracks; nothing is saved. Bounded in number, and aborted by a
 * shutdown so none holds it up.
 */
export class ConnectionTests {
  readonly #session: (id: string) => CameraPipelineOptions['session'];
  readonly #running = new Set<AbortController>();
  #closed = false;

  constructor(session: (id: string) => CameraPipelineOptions['session']) {
    this.#session = session;
  }

  /**
   * @throws GatewayError CAMGATE_ERR_PROBE_FAILED with the camera's problem, or
   * CAMGATE_ERR_RATE_LIMITED when too many tests run at once.
   */
  async run(
    settings: Pick<CameraRecord, 'url' | 'transport' | 'audio'>,
    id: string,
    options: ProbeOptions,
  ): Promise<CameraProbeResult> {
    if (this.#closed) throw errors.shuttingDown();
    if (this.#running.size >= MAX_CONCURRENT_PROBES) {
      throw errors.rateLimited(PROBE_RETRY_S, 'too many connection tests are running');
    }
    // Ends with the client (it went away) or with the gateway (it shuts down).
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted === true) controller.abort();
    this.#running.add(controller);
    try {
      const session = this.#session(id);
      const result = await probeCamera({
        url: settings.url,
        transport: settings.transport,
        audio: settings.audio,
        signal: controller.signal,
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
        ...(session === undefined ? {} : { session }),
      });
      // Cut short by a shutdown: what it saw so far is no answer to the test asked for.
      if (this.#isClosed()) throw errors.shuttingDown();
      return result;
    } catch (err) {
      if (this.#isClosed()) throw errors.shuttingDown();
      if (err instanceof CameraProbeError) throw errors.probeFailed({ code: err.problem.code, message: err.message });
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      this.#running.delete(controller);
    }
  }

  /** Aborts every running test; later ones are refused. */
  close(): void {
    this.#closed = true;
    for (const test of this.#running) test.abort();
  }

  /** A method, not the field: close() may have run while a test was awaited. */
  #isClosed(): boolean {
    return this.#closed;
  }
}
