import { RtspSession, type Frame, type RtspSessionOptions } from '@camgate/rtsp';
import { CamsimServer, type CamsimServerOptions } from '../server/camsim-server.js';

export interface Harness {
  server: CamsimServer;
  session: RtspSession;
  frames: Frame[];
  /** Resolves once `count` frames (matching `filter`) have arrived. */
  waitForFrames: (count: number, filter?: (frame: Frame) => boolean) => Promise<Frame[]>;
  /** Every request line and header block camsim received, as text. */
  requests: string[];
}

/** Starts camsim and an RtspSession on it; `run` gets both; everything is closed afterwards. */
export async function withCamsim(
  serverOptions: CamsimServerOptions,
  sessionOptions: Partial<RtspSessionOptions> & { path?: string; credentials?: { username: string; password: string } },
  run: (h: Harness) => Promise<void>,
): Promise<void> {
  const requests: string[] = [];
  const hooks = serverOptions.hooks;
  const server = await CamsimServer.start({
    ...serverOptions,
    hooks: {
      ...serverOptions.hooks,
      request: (request, ctx) => {
        requests.push(
          `${request.method} ${request.uri}\n${[...request.headers].map(([n, v]) => `${n}: ${v}`).join('\n')}`,
        );
        return hooks?.request?.(request, ctx);
      },
    },
  });
  const { path, credentials, ...rest } = sessionOptions;
  const session = new RtspSession({
    url: server.url(path ?? '/h264-aac', credentials),
    requestTimeoutMs: 5_000,
    ...rest,
  });
  const frames: Frame[] = [];
  const waiters: Array<{ count: number; filter: (f: Frame) => boolean; resolve: (f: Frame[]) => void }> = [];
  session.on('frame', (frame) => {
    // A frame's bytes are the session's only while the listeners run (the receive path reuses its
    // memory): the harness keeps a copy.
    frames.push({ ...frame, data: frame.data.slice() });
    for (const w of [...waiters]) {
      const matching = frames.filter(w.filter);
      if (matching.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(matching);
      }
    }
  });
  const waitForFrames = (count: number, filter: (f: Frame) => boolean = () => true) =>
    new Promise<Frame[]>((resolve) => {
      const matching = frames.filter(filter);
      if (matching.length >= count) resolve(matching);
      else waiters.push({ count, filter, resolve });
    });
  try {
    await run({ server, session, frames, waitForFrames, requests });
  } finally {
    await session.close();
    await server.close();
  }
}

/** Resolves after `ms` of real time, for tests that must show something keeps working over time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** H.264 NAL unit types in a length-prefixed access unit. */
export function nalTypes(data: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 4 < data.length;) {
    const size = new DataView(data.buffer, data.byteOffset + at, 4).getUint32(0);
    types.push((data[at + 4] as number) & 0x1f);
    at += 4 + size;
  }
  return types;
}
