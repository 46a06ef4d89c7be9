export { launchChromium, CHROMIUM_FLAGS, type ChromiumSession } from './chromium.js';
export { TestkitError, TestkitErrorCode } from './errors.js';
export { getFreePort } from './free-port.js';
export { listenOnLoopback, type LoopbackListener } from './listen-loopback.js';
export { noiseBytes } from './noise.js';
export { fuzzRuns, fuzzTimeout } from './fuzz.js';
export {
  startGstRtspServer,
  type GstDigestMount,
  type GstMount,
  type GstRtspServer,
  type GstRtspServerOptions,
} from './gst-rtsp-server.js';
export {
  gateOnTools,
  hasTools,
  interopRequired,
  requireTools,
  type SkippableContext,
  type ToolPaths,
} from './interop.js';
export {
  aacTestStream,
  codecsTestdata,
  type EncodedTrack,
  type TestTrackConfig,
  type TimedSample,
  videoTestStream,
} from './media-fixtures.js';
export {
  codecsMatch,
  expectFragmentsReadBack,
  inspectWithMp4box,
  type Mp4boxFragment,
  type Mp4boxInspection,
  type Mp4boxSample,
  type Mp4boxTraf,
  type Mp4boxTrack,
  type Mp4boxTrun,
  type WrittenFragment,
} from './mp4box.js';
export { startPostgres, type PostgresOptions, type PrivatePostgres } from './postgres.js';
export { repoRoot, workspacePackages, type WorkspacePackage } from './repo.js';
export { runProcess, type ProcessResult, type RunProcessOptions } from './run-process.js';
export { findTool, lookUpTool, type InteropTool, type ToolLookup } from './tools.js';
export { buildRepo, pnpmCommand } from './build-once.js';
