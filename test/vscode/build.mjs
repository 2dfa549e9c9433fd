// Bundles the in-extension-host test suite into out/test/vscode/suite/: index.js (the entry VS Code
// loads) and suite.test.js, one bundle of every *.test.ts so they share one test bed and helpers.
// `mocha` stays external: the bundles live under the repo, so the extension host resolves it from
// the repo's node_modules.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const suiteDir = join(here, 'suite');
const outdir = join(root, 'out/test/vscode/suite');
const tests = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['vscode', 'mocha', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};
await Promise.all([
  esbuild.build({ ...common, entryPoints: [join(suiteDir, 'index.ts')], outfile: join(outdir, 'index.js') }),
  esbuild.build({
    ...common,
    stdin: { contents: tests.map((t) => `import './${t.replace(/\.ts$/, '')}';`).join('\n'), resolveDir: suiteDir, sourcefile: 'suite.ts', loader: 'ts' },
    outfile: join(outdir, 'suite.test.js'),
  }),
]);
