import { loadClip, type Clip, type ClipFrame } from '@camgate/camsim';

/** A 1080p camera at about 4 Mbit/s with a 1.6 s GOP: 100 KB keyframes, 18 KB other pictures. */
const KEYFRAME_BYTES = 100_000;
const PICTURE_BYTES = 18_000;

/**
 * The bundled H.264 + AAC clip with every picture's last slice grown to a camera's size. Neither
 * the gateway nor ffmpeg decodes pictures (both copy them), so the added bytes only have to keep
 * the NAL structure: no zero bytes, hence no start code or emulation prevention inside.
 */
export async function fourMegabitClip(): Promise<Clip> {
  const clip = await loadClip('h264-aac');
  // A copy: the loaded clip stays as others know it.
  return {
    ...clip,
    tracks: clip.tracks.map((track) =>
      track.kind !== 'video'
        ? track
        : { ...track, frames: track.frames.map((frame) => ({ ...frame, data: grow(frame) })) },
    ),
  };
}

/** The picture with its last NAL unit lengthened to the size of a 4 Mbit/s camera's. */
function grow(frame: ClipFrame): Uint8Array {
  const target = frame.keyframe ? KEYFRAME_BYTES : PICTURE_BYTES;
  if (frame.data.length >= target) return frame.data;
  let last = 0;
  for (let at = 0; at < frame.data.length;) {
    last = at;
    at += 4 + new DataView(frame.data.buffer, frame.data.byteOffset + at).getUint32(0);
  }
  const grown = new Uint8Array(target);
  grown.set(frame.data);
  for (let i = frame.data.length; i < target; i++) grown[i] = 1 + ((i * 151) % 255);
  new DataView(grown.buffer).setUint32(last, target - last - 4);
  return grown;
}
