export { type Clip, type ClipConfig, type ClipFrame, type ClipTrack, type Codec } from './clip.js';
export { CLIP_NAMES, loadClip, type ClipName, type LoadClipOptions } from './load-clip.js';
export { CLIP_FORMAT_VERSION, MAX_CLIP_BYTES, parseClip } from './parse-clip.js';
