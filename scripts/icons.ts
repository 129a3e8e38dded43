/**
 * Renders the toolbar icon (an SVG) to the PNG sizes manifest.json names, with the same Chromium the tests use.
 * Run after changing the artwork: `npx tsx scripts/icons.ts`.
 */
import { writeFile } from 'node:fs/promises';
import puppeteer from 'puppeteer';
import { findBrowser } from './browser';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128">
  <rect x="4" y="4" width="120" height="120" rx="28" fill="#1f6feb"/>
  <circle cx="64" cy="50" r="20" fill="#fff"/>
  <path d="M28 104c4-20 18-30 36-30s32 10 36 30" fill="#fff"/>
  <circle cx="98" cy="32" r="14" fill="#3fb950" stroke="#1f6feb" stroke-width="6"/>
</svg>`;

const browser = await puppeteer.launch({ executablePath: await findBrowser(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  for (const size of [16, 48, 128]) {
    await page.setViewport({ width: size, height: size, deviceScaleFactor: 1 });
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{width:${size}px;height:${size}px;display:block}</style>${SVG}`);
    await writeFile(`public/icons/icon-${size}.png`, await page.screenshot({ omitBackground: true, type: 'png' }));
  }
} finally {
  await browser.close();
}
