import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

export default defineConfig({
  plugins: [preact(), crx({ manifest })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome116',
    // Source maps would ship the source inside the extension; the code is readable enough unminified.
    sourcemap: false,
  },
  server: { port: 5173, strictPort: true, hmr: { port: 5173 } },
});
