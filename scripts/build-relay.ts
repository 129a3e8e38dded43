/**
 * `npm run build:relay`: the Node relay as one ES module file, `dist-relay/relay.mjs`, that runs on plain Node
 * without node_modules. Its CommonJS dependencies (ioredis) call `require()` for Node's built-ins, which an ES
 * module does not have: the banner gives the bundle one.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { isMain } from '../src/shared/node-listen';

const ROOT = path.resolve(import.meta.dirname, '..');
const REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** @example await bundleNodeServer('src/relay/node.ts', 'dist-relay/relay.mjs') */
export async function bundleNodeServer(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [path.resolve(ROOT, entry)], outfile: path.resolve(ROOT, outfile), bundle: true, platform: 'node', format: 'esm', target: 'node20',
    banner: { js: REQUIRE_BANNER }, logLevel: 'warning',
  });
  return path.resolve(ROOT, outfile);
}

if (isMain(import.meta.url)) console.log(`Built ${path.relative(ROOT, await bundleNodeServer('src/relay/node.ts', 'dist-relay/relay.mjs'))}`);
