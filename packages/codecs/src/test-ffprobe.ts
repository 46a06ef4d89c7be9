import { fileURLToPath } from 'node:url';
import { runProcess } from '@camgate/testkit';

/** ffprobe's view of a test vector file, run live (interop tests). */
export async function ffprobeStream(
  ffprobe: string,
  file: string,
): Promise<{ profile: string; level: number; width: number; height: number; r_frame_rate: string }> {
  const path = fileURLToPath(new URL(`../testdata/${file}`, import.meta.url));
  const result = await runProcess(ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_streams',
    '-of',
    'json',
    path,
  ]);
  if (result.code !== 0) throw new Error(`ffprobe failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as {
    streams: Array<{ profile: string; level: number; width: number; height: number; r_frame_rate: string }>;
  };
  const stream = parsed.streams[0];
  if (stream === undefined) throw new Error(`ffprobe found no video stream in ${file}`);
  return stream;
}
