// Scenario 6 — the extension: bundle size of dist/extension.js as the project's own esbuild
// config builds it with --minify (in a scratch dir, see lib/build.ts), and
// activation time: a fresh node process per sample loads the bundle with a fake `vscode` module
// injected into require.cache and calls activate(). VS Code counts code loading plus the
// activate() call as activation time, so both are reported and the target applies to the sum.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import type { BenchContext } from '../lib/context';
import { buildWithProjectConfig } from '../lib/build';
import { runProcess } from '../lib/proc';
import { summarize, type Summary } from '../lib/stats';

export interface BundleInfo {
  build: string;
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface ActivationResult {
  build: string;
  load: Summary;
  activate: Summary;
  total: Summary;
  /** CPU time of load + activate(): what the wall time would be on an idle core */
  cpu: Summary;
  commands?: number;
  subscriptions?: number;
  /** vscode API members the fake answered with inert stubs */
  stubs: string[];
  complete: boolean;
  failures: string[];
}

export interface LoadPart {
  part: string;
  bytes: number;
  /** require() of that bundle alone in a fresh node, median ms */
  loadMs: number;
}

export interface ExtensionResults {
  bundles: BundleInfo[];
  activation: ActivationResult[];
  /** What the load time is made of: the same esbuild settings, smaller entry points. */
  loadParts: LoadPart[];
  shippingNote: string;
}

/** Bundles `entry` (minified, as esbuild.config.mjs does) and times require() of it alone. */
async function loadPart(ctx: BenchContext, part: string, entry: string, samples: number): Promise<LoadPart> {
  const out = path.join(ctx.options.tmp, 'load-parts', `${part.replace(/\W+/g, '-')}.js`);
  await esbuild.build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'warning',
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
  });
  const times: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    const r = await runProcess(process.execPath, ['-e', `const t = performance.now(); require(${JSON.stringify(out)}); console.log(performance.now() - t)`], { timeoutMs: 60_000 });
    if (i > 0 && r.code === 0) times.push(Number(r.stdout.trim()));
  }
  return { part, bytes: fs.statSync(out).size, loadMs: summarize(times).median };
}

function bundleInfo(build: string, file: string): BundleInfo {
  const data = fs.readFileSync(file);
  return { build, path: file, bytes: data.length, gzipBytes: zlib.gzipSync(data).length };
}

async function activation(ctx: BenchContext, childrenDir: string, build: string, bundle: string): Promise<ActivationResult> {
  const samples = Math.max(10, ctx.options.runs * 2);
  const rows: { requireMs: number; activateMs: number; totalMs: number; cpuMs: number; commands: number; subscriptions: number; stubs: string[] }[] = [];
  const failures: string[] = [];
  let stubs: string[] = [];
  for (let i = 0; i < samples + 1; i++) {
    const r = await runProcess(process.execPath, [path.join(childrenDir, 'activate.js'), bundle], { timeoutMs: 60_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const out = line.startsWith('{') ? JSON.parse(line) : { ok: false, detail: r.stderr.trim() };
    stubs = out.stubs ?? stubs;
    if (!out.ok) failures.push(String(out.detail).split('\n').slice(0, 3).join(' '));
    else if (i > 0) rows.push(out); // the first run warms the page cache only
  }
  return {
    build,
    load: summarize(rows.map((r) => r.requireMs)),
    activate: summarize(rows.map((r) => r.activateMs)),
    total: summarize(rows.map((r) => r.totalMs)),
    cpu: summarize(rows.map((r) => r.cpuMs)),
    commands: rows[0]?.commands,
    subscriptions: rows[0]?.subscriptions,
    stubs,
    complete: failures.length === 0,
    failures: failures.slice(0, 3),
  };
}

export async function extension(ctx: BenchContext, childrenDir: string): Promise<ExtensionResults> {
  const bundles: BundleInfo[] = [];
  const activations: ActivationResult[] = [];
  const minified = path.join(await buildWithProjectConfig(ctx.options.repo, path.join(ctx.options.tmp, 'ship'), true), 'extension.js');
  bundles.push(bundleInfo('esbuild.config.mjs --minify', minified));
  activations.push(await activation(ctx, childrenDir, 'esbuild.config.mjs --minify', minified));
  const dev = ctx.options.devBuild ? path.join(ctx.options.devBuild, 'extension.js') : undefined;
  if (dev && fs.existsSync(dev)) {
    bundles.push(bundleInfo('npm run build (not minified)', dev));
    activations.push(await activation(ctx, childrenDir, 'npm run build (not minified)', dev));
  }
  const samples = Math.max(10, ctx.options.runs * 2);
  const partsDir = path.join(ctx.options.tmp, 'load-parts');
  fs.mkdirSync(partsDir, { recursive: true });
  const ssh2Entry = path.join(partsDir, 'ssh2-entry.js');
  fs.writeFileSync(ssh2Entry, `require(${JSON.stringify(path.join(ctx.options.repo, 'node_modules', 'ssh2'))});\n`);
  const loadParts = [
    await loadPart(ctx, 'ssh2 alone', ssh2Entry, samples),
    await loadPart(ctx, 'the engine (src/core/index.ts, includes ssh2)', path.join(ctx.options.repo, 'src', 'core', 'index.ts'), samples),
  ];
  for (const p of loadParts) ctx.log(`  load of ${p.part}: ${p.loadMs.toFixed(1)} ms (${(p.bytes / 1024).toFixed(0)} KB)`);
  for (const a of activations) {
    ctx.log(`  activation ${a.build}: load ${a.load.median.toFixed(1)} ms + activate() ${a.activate.median.toFixed(1)} ms (median)${a.failures.length ? ` FAILED ${a.failures[0]}` : ''}`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ctx.options.repo, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const prepublish = pkg.scripts?.['vscode:prepublish'];
  return {
    bundles,
    activation: activations,
    loadParts,
    shippingNote: prepublish
      ? `package.json's vscode:prepublish is \`${prepublish}\``
      : 'package.json has no vscode:prepublish yet; the minified build is measured as what should ship',
  };
}
