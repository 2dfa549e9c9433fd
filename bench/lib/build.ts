// Builds for the benchmarks, without touching the repo's dist/ (others build and test from it
// concurrently): the project's own esbuild.config.mjs run in a scratch dir whose src/ and
// node_modules/ are the repo's, and the child-process workloads bundled like the CLI is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { runProcess } from './proc';

/** `node esbuild.config.mjs [--minify]` with cwd = dir; returns dir/dist. */
export async function buildWithProjectConfig(repo: string, dir: string, minify: boolean): Promise<string> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.symlinkSync(path.join(repo, 'src'), path.join(dir, 'src'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(repo, 'bin', 'remote-invoke.js'), path.join(dir, 'bin', 'remote-invoke.js'));
  const r = await runProcess(process.execPath, [path.join(repo, 'esbuild.config.mjs'), ...(minify ? ['--minify'] : [])], { cwd: dir, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`esbuild.config.mjs${minify ? ' --minify' : ''} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  return path.join(dir, 'dist');
}

/** bench/children/*.ts → outDir/*.js, bundled (no tsx in the measured processes). */
export async function buildChildren(repo: string, outDir: string): Promise<void> {
  const children = path.join(repo, 'bench', 'children');
  await esbuild.build({
    entryPoints: Object.fromEntries(
      ['throughput', 'idleSessions', 'activate'].map((name) => [name, path.join(children, `${name}.ts`)]),
    ),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    // as in esbuild.config.mjs: ssh2's optional native helpers stay out
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
  });
}
