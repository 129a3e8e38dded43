/**
 * Before any end-to-end test: build the extension exactly as shipped (dev mode would leave a loader in dist/), for
 * Chromium and for Firefox, and find — or install — a Chromium once.
 */
import type { TestProject } from 'vitest/node';
import { build } from 'vite';
import { findBrowser } from '../../scripts/browser';

declare module 'vitest' {
  export interface ProvidedContext {
    browserPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  await build({ logLevel: 'warn' });
  await build({ mode: 'firefox', logLevel: 'warn' });
  project.provide('browserPath', await findBrowser());
}
