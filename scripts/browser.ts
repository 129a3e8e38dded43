/**
 * Finds a Chromium to drive, and gets one when there is none: `npm start`, `npm test` and `npm run bench` all
 * come through here.
 *
 * Order: $PUPPETEER_EXECUTABLE_PATH / $CHROME_PATH → a system Chromium or Chrome → puppeteer's cache →
 * puppeteer's own download (where the network allows) → Debian/Ubuntu's `chromium` package (as root) → a clear
 * message with the command to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, detectBrowserPlatform, getInstalledBrowsers, install, resolveBuildId } from '@puppeteer/browsers';

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'];
const CACHE_DIR = process.env.PUPPETEER_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'puppeteer');
const HOW_TO = [
  'No Chromium or Chrome was found, and none could be installed automatically.',
  'Install one and run again, for example:',
  '  Debian/Ubuntu:  sudo apt-get install -y chromium',
  '  any system:     npx @puppeteer/browsers install chrome@stable   (needs internet access)',
  'or point PUPPETEER_EXECUTABLE_PATH at an existing Chrome/Chromium binary.',
].join('\n');

async function cached(): Promise<string | null> {
  const installed = await getInstalledBrowsers({ cacheDir: CACHE_DIR }).catch(() => []);
  return installed.find((browser) => browser.browser === Browser.CHROME && existsSync(browser.executablePath))?.executablePath ?? null;
}

async function known(): Promise<string | null> {
  for (const candidate of [process.env.PUPPETEER_EXECUTABLE_PATH, process.env.CHROME_PATH]) {
    if (candidate) {
      if (existsSync(candidate)) return candidate;
      throw new Error(`The browser named by PUPPETEER_EXECUTABLE_PATH / CHROME_PATH does not exist: ${candidate}`);
    }
  }
  return SYSTEM.find((candidate) => existsSync(candidate)) ?? (await cached());
}

async function download(log: (line: string) => void): Promise<string | null> {
  const platform = detectBrowserPlatform();
  if (!platform) return null;
  log(`Downloading Chrome for Testing into ${CACHE_DIR}…`);
  try {
    const installed = await Promise.race([
      resolveBuildId(Browser.CHROME, platform, 'stable').then((buildId) => install({ browser: Browser.CHROME, buildId, cacheDir: CACHE_DIR, platform })),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 120_000)),
    ]);
    return installed.executablePath;
  } catch (error) {
    log(`  download failed (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

function aptInstall(log: (line: string) => void): string | null {
  const root = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !hasApt) return null;
  log('Installing Debian’s chromium package (apt-get install -y chromium)…');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    log('  apt-get could not install chromium');
    return null;
  }
  return SYSTEM.find((candidate) => existsSync(candidate)) ?? null;
}

/** @example const executablePath = await findBrowser(); */
export async function findBrowser(log: (line: string) => void = (line) => console.error(line)): Promise<string> {
  const found = (await known()) ?? (await download(log)) ?? aptInstall(log);
  if (!found) throw new Error(HOW_TO);
  return found;
}

/** Chromium flags for a closed network and a root user, from the platform notes. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-features=MediaRouter,OptimizationHints',
];
