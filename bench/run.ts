// `npm run bench`: starts throw-away loopback sshd hosts and measures remote-invoke against the
// tools a user would pick instead, in the same run on the same machine (issue 5). Writes
// bench/results/latest.{json,md} and bench/results/fanout.svg.
//
//   BENCH_RUNS=5        runs per figure (default 5; 3 in quick mode)
//   BENCH_QUICK=1       smoke mode: N=10 only, fewer iterations, 20 MB throughput; results go to
//                       bench/results/tmp/quick/ so the committed results are left alone
//   BENCH_SIZES=10,50   fan-out sizes (default 10,50,100)
//   BENCH_ONLY=cold,rt  scenarios: cold, warm, rt, throughput, memory, extension, profile, pwsh
//   BENCH_TOOLS=engine,ssh2-floor  cold fan-out: only these tools (the rest are reported as skipped)
//   BENCH_OUT=dir       where to write the results
//   BENCH_COMMIT=sha    the commit being measured (set by bench/at-commit.sh, which runs a clean export)
//   --wan               the WAN bench instead (bench/wan/run.ts: namespace, delay, RTT 0/20/100 ms)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestBed } from '../test/support/sshd';
import { buildChildren, buildWithProjectConfig } from './lib/build';
import { BenchContext, type BenchOptions } from './lib/context';
import { describePeers, PeerWorkspace } from './lib/peers';
import { markdown } from './report/markdown';
import type { BenchMeta, BenchResults } from './report/results';
import { fanoutSvg } from './report/svg';
import { checkTargets } from './report/targets';
import { coldFanout } from './scenarios/cold';
import { extension } from './scenarios/extension';
import { memory } from './scenarios/memory';
import { profile } from './scenarios/profile';
import { pwshPeer, pwshSubsystem } from './scenarios/pwsh';
import { roundTrip } from './scenarios/roundTrip';
import { throughput } from './scenarios/throughput';
import { warmFanout } from './scenarios/warm';

const REPO = path.resolve(__dirname, '..');
const started = Date.now();

function log(line: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
}

function options(): BenchOptions & { out: string } {
  const quick = process.env.BENCH_QUICK === '1';
  const runs = Number(process.env.BENCH_RUNS || (quick ? 3 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
  const sizes = (process.env.BENCH_SIZES || (quick ? '10' : '10,50,100')).split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_SIZES must be positive integers, got ${process.env.BENCH_SIZES}`);
  const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
  const tmp = path.join(REPO, 'bench', 'results', 'tmp');
  return {
    quick,
    runs,
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    only,
    roundTripIterations: quick ? 200 : 1000,
    throughputBytes: quick ? 20_000_000 : 100_000_000,
    idleSessions: quick ? Math.min(10, Math.max(...sizes)) : 100,
    repo: REPO,
    tmp,
    log,
    out: process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : quick ? path.join(tmp, 'quick') : path.join(REPO, 'bench', 'results'),
  };
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Share of the CPUs busy over `ms` (every process on the box, not only ours). */
async function boxBusy(ms: number): Promise<number> {
  const read = () => fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const d = read().map((v, i) => v - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total ? Math.round((1000 * (total - d[3] - d[4])) / total) / 1000 : 0;
}

function meta(o: BenchOptions, hosts: number): BenchMeta {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    commit: process.env.BENCH_COMMIT || git(['rev-parse', 'HEAD']) || 'unknown',
    dirty: process.env.BENCH_COMMIT ? false : git(['status', '--porcelain', '--', 'src']) !== '',
    node: process.versions.node,
    os: `${os.type()} ${os.release()}${fs.existsSync('/etc/debian_version') ? ` (Debian ${fs.readFileSync('/etc/debian_version', 'utf8').trim()})` : ''}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg(),
    quick: o.quick,
    runs: o.runs,
    sizes: o.sizes,
    hosts,
    testBed:
      `${hosts} OpenSSH sshd processes on 127.x.y.z:2222 (test/support/sshd.ts), ed25519 host and client keys, ` +
      'MaxStartups 1000:30:1000, MaxSessions 100, UsePAM no, HOME set to an empty dir (no ~/.bashrc)',
  };
}

async function main(): Promise<void> {
  const o = options();
  const want = (s: string) => !o.only || o.only.has(s);
  fs.mkdirSync(o.tmp, { recursive: true });
  fs.mkdirSync(o.out, { recursive: true });
  const hostCount = Math.max(...o.sizes, want('memory') ? o.idleSessions : 1);
  const results: BenchResults = { meta: meta(o, hostCount), peers: [], scenarios: {}, errors: [], targets: [] };
  results.meta.boxBusyAtStart = await boxBusy(1000);
  if (results.meta.boxBusyAtStart > 0.25) {
    log(`note: the box is ${(results.meta.boxBusyAtStart * 100).toFixed(0)}% busy before the run (other work); figures will be noisy`);
  }
  log(`remote-invoke benchmarks: ${o.quick ? 'QUICK, ' : ''}${o.runs} runs, N = ${o.sizes.join(', ')}, ${hostCount} hosts; results → ${path.relative(REPO, o.out) || '.'}`);

  log('building: the CLI with esbuild.config.mjs (scratch dir), the child workloads');
  let cliSkipped: string | undefined;
  try {
    o.devBuild = await buildWithProjectConfig(REPO, path.join(o.tmp, 'build'), false);
    o.cli = path.join(o.tmp, 'build', 'bin', 'remote-invoke.js');
    if (!fs.existsSync(path.join(o.devBuild, 'cli.js'))) cliSkipped = 'the build produced no dist/cli.js';
  } catch (err) {
    cliSkipped = `build failed: ${(err as Error).message}`;
  }
  const childrenDir = path.join(o.tmp, 'children');
  await buildChildren(REPO, childrenDir);

  log('peers:');
  results.peers = await describePeers();
  for (const p of results.peers) log(`  ${p.label}: ${p.skipped ? `SKIPPED (${p.skipped})` : p.version}`);

  log(`starting ${hostCount} sshd hosts`);
  // PowerShell remoting over SSH needs its subsystem on every host (the pwsh peer, issue 9).
  const bed = await startTestBed({ count: hostCount, extraSshdConfig: want('pwsh') ? pwshSubsystem() : undefined });
  const ws = new PeerWorkspace(bed, path.join(o.tmp, 'peers'));
  const ctx = new BenchContext(bed, ws, o);
  const scenario = async <T>(id: string, name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!want(id)) return undefined;
    log(`${name}`);
    try {
      return await run();
    } catch (err) {
      const error = (err as Error).stack ?? String(err);
      log(`  ${name} FAILED: ${error}`);
      results.errors.push({ scenario: name, error: (err as Error).message });
      return undefined;
    }
  };
  try {
    results.scenarios.cold = await scenario('cold', '1. cold fan-out', () => coldFanout(ctx, results.peers, cliSkipped));
    results.scenarios.warm = await scenario('warm', '2. warm fan-out', () => warmFanout(ctx, results.peers));
    results.scenarios.roundTrip = await scenario('rt', '3. round trip', () => roundTrip(ctx, results.peers));
    results.scenarios.throughput = await scenario('throughput', '4. throughput', () => throughput(ctx, results.peers, childrenDir, cliSkipped));
    results.scenarios.memory = await scenario('memory', '5. memory', () => memory(ctx, childrenDir, results.scenarios.warm?.controlMasters));
    results.scenarios.extension = await scenario('extension', '6. extension', () => extension(ctx, childrenDir));
    results.scenarios.profile = await scenario('profile', 'profile: one cold host, step by step', () => profile(ctx));
    results.scenarios.pwsh = await scenario('pwsh', '7. PowerShell: Invoke-Command over SSH as a peer', () => pwshPeer(ctx));
  } finally {
    ws.cleanup();
    await bed.stop();
  }
  results.meta.durationS = Math.round((Date.now() - started) / 1000);
  results.meta.loadAverageAtEnd = os.loadavg();
  results.targets = checkTargets(results);

  fs.writeFileSync(path.join(o.out, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(o.out, 'latest.md'), markdown(results));
  fs.writeFileSync(path.join(o.out, 'fanout.svg'), fanoutSvg(results));
  log(`wrote ${['latest.json', 'latest.md', 'fanout.svg'].map((f) => path.relative(REPO, path.join(o.out, f))).join(', ')}`);
  for (const t of results.targets) log(`  ${t.pass === null ? '—' : t.pass ? 'met   ' : 'MISSED'} ${t.target}: ${t.margin}`);
  process.exitCode = results.errors.length ? 1 : 0;
}

if (process.argv.includes('--wan')) {
  // The WAN mode (bench/wan/run.ts): its own namespace, delay, peers and report.
  import('./wan/run')
    .then(({ wanMain }) => wanMain())
    .then((code) => process.exit(code), (err) => {
      log(`WAN bench failed: ${(err as Error).stack ?? err}`);
      process.exit(1);
    });
} else {
  main().catch((err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
