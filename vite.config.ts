import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

/**
 * `vite build` → dist/, the extension as shipped. `vite build --mode bench` → dist-bench/, the same extension plus
 * the benchmark's floor page (src/bench), which never ships.
 */
export default defineConfig(({ mode }) => ({
  plugins: [preact(), crx({ manifest })],
  build: {
    outDir: mode === 'bench' ? 'dist-bench' : 'dist',
    emptyOutDir: true,
    target: 'chrome116',
    // Chrome supports modulepreload natively; Vite's polyfill would only add bytes to every page.
    modulePreload: { polyfill: false },
    // Source maps would ship the source inside the extension; the code is readable enough unminified.
    sourcemap: false,
    rollupOptions: mode === 'bench' ? { input: { floor: 'src/bench/floor.html' } } : {},
  },
  server: { port: 5173, strictPort: true, hmr: { port: 5173 } },
}));
