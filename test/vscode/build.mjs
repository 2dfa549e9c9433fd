// Bundles the in-extension-host test suite into out/test/vscode/suite/. Each *.test.ts becomes its
// own file that index.js hands to mocha. `mocha` stays external: the bundles live under the repo,
// so the extension host resolves it from the repo's node_modules.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const suiteDir = join(here, 'suite');
const entryPoints = readdirSync(suiteDir)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => join(suiteDir, f));

await esbuild.build({
  entryPoints,
  outdir: join(root, 'out/test/vscode/suite'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['vscode', 'mocha', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
});
