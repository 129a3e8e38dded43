/**
 * A private X server (Xvfb) for a browser with a window, and real X key presses into it (xdotool): what the
 * headless browsers cannot do — Firefox's keyboard shortcuts, Chrome's permission prompt — done as a rep's keyboard
 * does it. Debian: `apt-get install -y xvfb xdotool`.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Xvfb {
  /** The display, e.g. `:99`, for the browser's `DISPLAY`. */
  display: string;
  stop(): void;
}

/** Starts Xvfb on a free display (it picks one and tells it on descriptor 3). Rejects in words if it cannot start. */
export async function startXvfb(): Promise<Xvfb> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.once('error', (error) => reject(new Error(`Xvfb could not start (${error.message}). Install it: sudo apt-get install -y xvfb xdotool`)));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display.`)));
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
  });
  return { display, stop: () => void xvfb.kill() };
}

/**
 * Presses `keys` in order (xdotool names: `Tab`, `Return`, `alt+shift+a`) on `display`, into the window that has the
 * keyboard, or first focuses the visible windows whose class matches `windowClass`.
 */
export async function pressXKeys(display: string, keys: string[], windowClass?: string): Promise<void> {
  const env = { ...process.env, DISPLAY: display };
  if (windowClass) {
    const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--class', windowClass], { env }).catch((error: Error) => {
      throw new Error(`xdotool found no ${windowClass} window (${error.message}). Install it: sudo apt-get install -y xdotool`);
    });
    for (const window of stdout.trim().split('\n')) await run('xdotool', ['windowfocus', '--sync', window], { env });
  }
  await run('xdotool', ['key', '--clearmodifiers', ...keys], { env });
}

/**
 * The colour of the screen at (x, y) on `display`, as `0xRRGGBB`: from `xwd -root` (X11's window dump, Debian
 * package x11-apps), read here (X11's XWD format: a 100-byte header of 25 big-endian CARD32s, the window's name,
 * `ncolors` 12-byte colour entries, then rows of `bytes_per_line`). Only 24/32-bit TrueColor screens, as Xvfb's.
 */
export async function screenPixel(display: string, x: number, y: number): Promise<number> {
  const { stdout } = await run('xwd', ['-root', '-silent'], { env: { ...process.env, DISPLAY: display }, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
    .catch((error: Error) => {
      throw new Error(`xwd could not read the screen (${error.message}). Install it: sudo apt-get install -y x11-apps`);
    });
  const field = (index: number) => stdout.readUInt32BE(index * 4);
  const [headerSize, width, height, byteOrder, bitsPerPixel, bytesPerLine, ncolors] = [field(0), field(4), field(5), field(7), field(11), field(12), field(19)];
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) throw new Error(`xwd gave ${bitsPerPixel} bits per pixel; only 24 and 32 are read.`);
  if (x < 0 || y < 0 || x >= width || y >= height) throw new Error(`(${x}, ${y}) is outside the ${width}×${height} screen.`);
  const at = headerSize + ncolors * 12 + y * bytesPerLine + x * (bitsPerPixel / 8);
  const pixel = byteOrder === 0 ? stdout.readUIntLE(at, 3) : stdout.readUIntBE(at + (bitsPerPixel === 32 ? 1 : 0), 3);
  return pixel & 0xffffff;
}
