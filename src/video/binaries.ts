/**
 * The ffmpeg and ffprobe executables: the static builds shipped in npm packages (@ffmpeg-installer/ffmpeg,
 * @ffprobe-installer/ffprobe), so the service needs no system ffmpeg. Resolved once, checked to be
 * executable (the ffprobe package makes its binary executable in a postinstall script, which
 * `npm ci --ignore-scripts` skips): a missing or non-executable binary stops start-up with the fix.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { AppError } from '../errors.js';

export interface VideoBinaries {
  ffmpeg: string;
  ffprobe: string;
}

function executable(name: string, file: string, packageName: string): string {
  try {
    accessSync(file, constants.X_OK);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `${name} at ${file} is missing or not executable; run \`npm rebuild ${packageName}\``, { cause: error });
  }
  return file;
}

/** Paths of the npm-shipped binaries; throws CONFIG_INVALID when one cannot be run. */
export function videoBinaries(): VideoBinaries {
  const require = createRequire(import.meta.url);
  const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  return {
    ffmpeg: executable('ffmpeg', ffmpeg, '@ffmpeg-installer/ffmpeg'),
    // The platform package (e.g. @ffprobe-installer/linux-x64) holds the binary and the chmod script.
    ffprobe: executable('ffprobe', ffprobe, `@ffprobe-installer/${process.platform}-${process.arch}`),
  };
}
