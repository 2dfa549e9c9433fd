// Bundles the extension host entry and the CLI into dist/. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
  define: { PACKAGE_VERSION: JSON.stringify(version) },
  // ssh2 optionally loads native crypto helpers; the pure-JS paths are used when they are absent.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};

const entries = [
  ['src/extension/extension.ts', 'dist/extension.js'],
  ['src/cli/main.ts', 'dist/cli.js'],
  ['src/server/server.ts', 'dist/server.js'],
].filter(([src]) => existsSync(src));

const contexts = await Promise.all(
  entries.map(([entryPoint, outfile]) => esbuild.context({ ...common, entryPoints: [entryPoint], outfile })),
);
if (process.argv.includes('--watch')) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
