// `npm run bench -- --wan`: the side-by-side bench across a simulated WAN (issue 14). Builds the
// CLI and delayd, makes a network namespace of its own, runs bench/wan/inner.ts inside it (every
// sshd and every tool), deletes the namespace, and writes bench/results/wan.{json,md}.
//
//   WAN_RTTS=0,20,100   round trip times to measure at (ms)
//   WAN_SIZES=10,50,100 cold fan-out sizes
//   WAN_RUNS=3          runs per figure (median reported)
//   WAN_ONLY=rt,warm,cold,loss,holes   scenarios
//   WAN_OUT_DIR=dir     where the results go (default bench/results)
//
// Needs root (ip netns, iptables, nft); without it the WAN part is skipped and the report says so.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildWithProjectConfig } from '../lib/build';
import { runProcess } from '../lib/proc';
import type { WanResults } from './inner';
import { buildDelayd, createNamespace, deleteNamespace, wanUnavailable } from './net';
import { wanMarkdown } from './report';

const REPO = path.resolve(__dirname, '..', '..');
/** Everything stops by itself: the inner run is killed after this long. */
const MAX_MS = 3 * 60 * 60 * 1000;

function log(line: string): void {
  process.stderr.write(`[wan ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export async function wanMain(): Promise<number> {
  const outDir = process.env.WAN_OUT_DIR ? path.resolve(process.env.WAN_OUT_DIR) : path.join(REPO, 'bench', 'results');
  const tmp = path.join(REPO, 'bench', 'results', 'tmp', 'wan');
  fs.mkdirSync(outDir, { recursive: true });
  fs.mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  const meta = { date: new Date().toISOString(), commit: '', loadAverageAtStart: (await import('node:os')).loadavg() };
  try {
    meta.commit = (await runProcess('git', ['rev-parse', 'HEAD'], { cwd: REPO })).stdout.trim();
  } catch {
    /* not a checkout */
  }
  const unavailable = wanUnavailable();
  if (unavailable) {
    log(`WAN bench skipped: ${unavailable}`);
    fs.writeFileSync(path.join(outDir, 'wan.md'), `# WAN bench\n\nSkipped: ${unavailable}.\n`);
    return 0;
  }
  log('building the CLI (scratch dir) and delayd');
  const dist = await buildWithProjectConfig(REPO, path.join(tmp, 'build'), false);
  const cli = path.join(path.dirname(dist), 'bin', 'remote-invoke.js');
  const delayd = buildDelayd(REPO, path.join(tmp, 'bin'));
  const ns = `ri-wan-${process.pid}`;
  const out = path.join(tmp, 'inner.json');
  fs.rmSync(out, { force: true });
  createNamespace(ns);
  log(`namespace ${ns}: running the scenarios inside it`);
  try {
    const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
    const child = spawn('ip', ['netns', 'exec', ns, tsx, path.join(__dirname, 'inner.ts')], {
      env: { ...process.env, WAN_CLI: cli, WAN_DELAYD: delayd, WAN_OUT: out, WAN_TMP: tmp, WAN_LIFETIME_S: String(MAX_MS / 1000) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), MAX_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(killer);
    if (code !== 0) log(`inner run ended with ${code}`);
  } finally {
    deleteNamespace(ns);
  }
  if (!fs.existsSync(out)) {
    log('no results were written');
    return 1;
  }
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as WanResults;
  const full = { meta: { ...meta, durationS: Math.round((Date.now() - started) / 1000), loadAverageAtEnd: (await import('node:os')).loadavg() }, ...results };
  fs.writeFileSync(path.join(outDir, 'wan.json'), JSON.stringify(full, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'wan.md'), wanMarkdown(full));
  log(`wrote ${path.relative(REPO, path.join(outDir, 'wan.md'))} and wan.json`);
  return 0;
}
