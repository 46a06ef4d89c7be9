import { CamsimServer } from '@camgate/camsim';
import type { AddressPolicy } from './address-policy.js';
import type { CameraManager } from './camera-manager.js';

/** The demo camera's id: its stream is at /live/demo/. */
export const DEMO_CAMERA_ID = 'demo';

interface DemoLogger {
  info(fields: object, message: string): void;
}

/**
 * The built-in demo camera, so that a first run shows live video without a camera of one's own:
 * the simulated camera, in this process, on a free local port, registered as camera `demo` when
 * the registry is empty. Once registered it is a camera like any other (it can be edited or
 * deleted); on later starts the simulated camera runs again and the demo camera's URL follows its
 * new port. Returns undefined when there is no demo camera to serve.
 */
export async function startDemoCamera(
  cameras: CameraManager,
  logger: DemoLogger,
  policy?: Pick<AddressPolicy, 'allowEndpoint'>,
): Promise<CamsimServer | undefined> {
  const existing = cameras.get(DEMO_CAMERA_ID);
  if (cameras.size > 0 && existing === undefined) return undefined;
  // A `demo` camera someone pointed elsewhere is theirs now.
  if (existing !== undefined && !/^rtsp:\/\/127\.0\.0\.1:\d+\/h264-aac$/.test(existing.url)) return undefined;
  const server = await CamsimServer.start({ host: '127.0.0.1', port: 0 });
  const url = server.url('/h264-aac');
  // Loopback is refused to cameras; this one endpoint is the gateway's own demo camera.
  policy?.allowEndpoint(`127.0.0.1:${server.port}`);
  try {
    if (existing === undefined) {
      await cameras.create({ id: DEMO_CAMERA_ID, name: 'Demo camera (simulated)', url, transport: 'tcp' });
      logger.info({ camera: DEMO_CAMERA_ID }, 'added the built-in demo camera (turn off with --no-demo)');
    } else {
      await cameras.update(DEMO_CAMERA_ID, { url });
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
