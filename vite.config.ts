import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };
import { firefoxManifest, firefoxOnlyPages } from './scripts/firefox-manifest.ts';
import { pageScript } from './scripts/page-script.ts';

/**
 * Loopback host permissions let the extension reach the sandbox on this machine; a store build (a relay on https)
 * does not need them, and drops them.
 */
export const storeManifest = (base: typeof manifest) => ({
  ...base,
  host_permissions: base.host_permissions.filter((pattern) => !/^http:\/\/(127\.0\.0\.1|localhost)\//.test(pattern)),
});

const OUT_DIRS: Record<string, string> = { bench: 'dist-bench', store: 'dist-store', firefox: 'dist-firefox', 'firefox-store': 'dist-firefox-store' };

/**
 * `vite build` → dist/, for development and the sandbox. `vite build --mode store` → dist-store/, for the Web Store
 * (no loopback access). `vite build --mode bench` → dist-bench/, plus the benchmark's floor page, never shipped.
 * `--mode firefox` → dist-firefox/ and `--mode firefox-store` → dist-firefox-store/: the same two for Firefox (AMO).
 */
export default defineConfig(({ mode }) => {
  const firefox = mode === 'firefox' || mode === 'firefox-store';
  const base = mode === 'store' || mode === 'firefox-store' ? storeManifest(manifest) : manifest;
  const built = firefox ? firefoxManifest(base) : base;
  const input = {
    ...(mode === 'bench' ? { floor: 'src/bench/floor.html', panelFloor: 'src/bench/panel-floor.html' } : {}),
    ...(firefox ? firefoxOnlyPages(firefoxManifest(base)) : {}),
  };
  return {
    plugins: [preact(), crx({ manifest: built, browser: firefox ? 'firefox' : 'chrome' }), pageScript(firefox ? 'firefox140' : 'chrome116')],
    build: {
      outDir: OUT_DIRS[mode] ?? 'dist',
      emptyOutDir: true,
      target: firefox ? 'firefox140' : 'chrome116',
      // Both browsers support modulepreload natively; Vite's polyfill would only add bytes to every page.
      modulePreload: { polyfill: false },
      // Source maps would ship the source inside the extension; the code is readable enough unminified.
      sourcemap: false,
      rollupOptions: Object.keys(input).length > 0 ? { input } : {},
    },
    server: { port: 5173, strictPort: true, hmr: { port: 5173 } },
  };
});
