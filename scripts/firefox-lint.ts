/**
 * Mozilla's linter (`web-ext lint`, the addons-linter AMO runs on every upload) on a built Firefox extension, its
 * findings read from its JSON report. Used by the tests, so CI fails on anything AMO would refuse.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as v from 'valibot';

const WEB_EXT = path.resolve(import.meta.dirname, '..', 'node_modules', 'web-ext', 'bin', 'web-ext.js');

const Finding = v.object({ code: v.string(), message: v.string(), file: v.optional(v.string()) });
const Report = v.object({ errors: v.array(Finding), warnings: v.array(Finding), notices: v.array(Finding) });
export type LintReport = v.InferOutput<typeof Report>;

/**
 * @example const { errors } = await lintFirefox('dist-firefox'); // [] when AMO would accept it
 */
export function lintFirefox(sourceDir: string): Promise<LintReport> {
  const args = [WEB_EXT, 'lint', '--source-dir', sourceDir, '--output', 'json', '--no-config-discovery', '--no-input'];
  return new Promise((resolve, reject) => {
    // The exit status is 1 when there are errors: the report on stdout says which, so it is read either way.
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (failure, stdout, stderr) => {
      try {
        resolve(v.parse(Report, JSON.parse(stdout)));
      } catch {
        reject(new Error(`web-ext lint gave no report for ${sourceDir}: ${failure?.message ?? ''}\n${stderr}`));
      }
    });
  });
}
