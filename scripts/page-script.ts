/**
 * A Vite plugin that builds the page scanner (src/scanner/page.ts) as one classic script, `page-scan.js`, for
 * `chrome.scripting.executeScript({ files })`: an IIFE whose completion value — the last statement — is the scan,
 * which is what `executeScript` hands back. Built apart from the service worker, which only names the file.
 */
import { build } from 'esbuild';
import type { Plugin } from 'vite';
import { PAGE_SCRIPT_FILE } from '../src/scanner/page-file.ts';

/** @param target esbuild's target for the browser the build is for, e.g. `chrome116` or `firefox140`. */
export function pageScript(target = 'chrome116', entry = 'src/scanner/page.ts'): Plugin {
  return {
    name: 'agile-crm-page-script',
    apply: 'build',
    async generateBundle() {
      const out = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'iife',
        globalName: 'agileCrmPageScan',
        footer: { js: 'agileCrmPageScan.default;' },
        minify: true,
        target,
        legalComments: 'none',
      });
      this.emitFile({ type: 'asset', fileName: PAGE_SCRIPT_FILE, source: out.outputFiles[0]!.text });
    },
  };
}
