import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };
import { pageScript } from './scripts/page-script.ts';

/**
 * Loopback host permissions let the extension reach the sandbox on this machine; a store build (a relay on https)
 * does not need them, and drops them.
 */
export const storeManifest = (base: typeof manifest) => ({
  ...base,
  host_permissions: base.host_permissions.filter((pattern) => !/^http:\/\/(127\.0\.0\.1|localhost)\//.test(pattern)),
});

/**
 * `vite build` → dist/, for development and the sandbox. `vite build --mode store` → dist-store/, for the Web Store
 * (no loopback access). `vite build --mode bench` → dist-bench/, plus the benchmark's floor page, never shipped.
 */
export default defineConfig(({ mode }) => ({
  plugins: [preact(), crx({ manifest: mode === 'store' ? storeManifest(manifest) : manifest }), pageScript()],
  build: {
    outDir: mode === 'bench' ? 'dist-bench' : mode === 'store' ? 'dist-store' : 'dist',
    emptyOutDir: true,
    target: 'chrome116',
    // Chrome supports modulepreload natively; Vite's polyfill would only add bytes to every page.
    modulePreload: { polyfill: false },
    // Source maps would ship the source inside the extension; the code is readable enough unminified.
    sourcemap: false,
    rollupOptions: mode === 'bench' ? { input: { floor: 'src/bench/floor.html', panelFloor: 'src/bench/panel-floor.html' } } : {},
  },
  server: { port: 5173, strictPort: true, hmr: { port: 5173 } },
}));
