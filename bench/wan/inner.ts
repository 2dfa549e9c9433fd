// The WAN bench's measurements, run inside the namespace that bench/wan/run.ts made (so every
// tool's traffic stays on that namespace's delayed `lo`). Reads its settings from WAN_* variables,
// writes its results as JSON to WAN_OUT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed, type TestBed } from '../../test/support/sshd';
import { PeerWorkspace } from '../lib/peers';
import { delay, runProcess, which } from '../lib/proc';
import { summarize } from '../lib/stats';
import { Delay, setBlackHoles, setLoss, shapeLoopback, timeConnect } from './net';

const COMMAND = 'uname -n';
const NO_HOLDER = { REMOTE_INVOKE_HOLDER: '0' };

export interface WanRow {
  scenario: string;
  tool: string;
  rttMs: number;
  n: number;
  /** median wall time, ms */
  ms: number | null;
  runs: number[];
  ok: number;
  note?: string;
}

export interface WanResults {
  rtts: number[];
  sizes: number[];
  runs: number;
  measuredRtt: Record<string, number>;
  rows: WanRow[];
  roundTrips: { tool: string; ms0: number | null; ms100: number | null; roundTrips: number | null }[];
  notes: string[];
  /** WAN_ONLY's selection (all when unset), in the order they ran. */
  scenarios?: string[];
}

const env = (k: string, d: string) => process.env[k] || d;
const RTTS = env('WAN_RTTS', '0,20,100').split(',').map(Number);
const SIZES = env('WAN_SIZES', '10,50,100').split(',').map(Number);
const RUNS = Number(env('WAN_RUNS', '3'));
const ONLY = process.env.WAN_ONLY ? new Set(process.env.WAN_ONLY.split(',')) : undefined;
const want = (s: string) => !ONLY || ONLY.has(s);
const CLI = env('WAN_CLI', '');
const OUT = env('WAN_OUT', '');
const log = (line: string) => process.stderr.write(`[wan ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Tool {
  id: string;
  /** Untimed, before each timed run: a warm tool's connection is (re)opened here. */
  prepare?: () => Promise<unknown>;
  run(n: number): Promise<{ ms: number; ok: number; failures: string[] }>;
  maxN?: number;
  runs?: number;
}

class Bench {
  readonly results: WanResults = {
    rtts: RTTS,
    sizes: SIZES,
    runs: RUNS,
    measuredRtt: {},
    rows: [],
    roundTrips: [],
    notes: [],
    scenarios: ['rt', 'warm', 'cold', 'loss', 'holes'].filter((x) => want(x)),
  };
  readonly runtimeDir: string;
  readonly stateDir: string;

  constructor(
    readonly bed: TestBed,
    readonly ws: PeerWorkspace,
    readonly delayd: Delay,
    work: string,
  ) {
    this.runtimeDir = fs.mkdtempSync('/tmp/ri-wan-rt-');
    this.stateDir = path.join(work, 'state');
  }

  cliEnv(): NodeJS.ProcessEnv {
    return { ...this.ws.sshEnv(), REMOTE_INVOKE_STATE_DIR: this.stateDir, XDG_RUNTIME_DIR: this.runtimeDir };
  }

  async cli(args: string[], timeoutMs = 600_000, env: NodeJS.ProcessEnv = {}) {
    const r = await runProcess(process.execPath, [CLI, ...args], { env: { ...this.cliEnv(), ...env }, timeoutMs });
    let ok = 0;
    const failures: string[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{"type":"result"')) continue;
      const e = JSON.parse(line) as { status: string; host: string; error?: string };
      if (e.status === 'Completed') ok++;
      else failures.push(`${e.host}: ${e.status} ${e.error ?? ''}`);
    }
    return { ms: r.ms, ok, failures, stderr: r.stderr, code: r.code };
  }

  /** The engine's CLI, cold: a new process and new connections, `throttle` given or not. */
  engine(n: number, extra: string[] = []) {
    return this.cli(['run', '-F', this.bed.sshConfigPath, '-H', this.ws.names(n).join(','), '-c', COMMAND, '--json', ...extra]);
  }

  async pssh(n: number, p: number, extra: string[] = []) {
    const bin = which('parallel-ssh') ?? which('pssh');
    if (!bin) return { ms: 0, ok: 0, failures: ['parallel-ssh not installed'] };
    const x = ['-F', this.bed.sshConfigPath, ...extra].join(' ');
    const r = await runProcess(bin, ['-h', this.ws.hostsFile(n), '-x', x, '-p', String(p), '-t', '0', '-i', COMMAND], { env: this.ws.sshEnv(), timeoutMs: 600_000 });
    const ok = (r.stdout.match(/\[SUCCESS\]/g) ?? []).length;
    return { ms: r.ms, ok, failures: ok < n ? [`${n - ok} failed`] : [] };
  }

  async sshLoop(n: number, options: string[] = []) {
    const r = await runProcess('bash', [path.join(this.ws.dir, 'ssh-loop.sh'), this.ws.hostsFile(n), '32', COMMAND, '-F', this.bed.sshConfigPath, ...options], {
      env: this.ws.sshEnv(),
      timeoutMs: 600_000,
    });
    const ok = this.ws.countNames(r.stdout);
    return { ms: r.ms, ok, failures: ok < n ? [`${n - ok} failed`] : [] };
  }

  async ansible(n: number) {
    const r = await runProcess('ansible', ['bench', '-i', this.ws.inventory(n), '-f', '32', '-m', 'command', '-a', COMMAND], {
      env: this.ws.ansibleEnv(),
      cwd: this.ws.dir,
      timeoutMs: 900_000,
    });
    const ok = (r.stdout.match(/\| (CHANGED|SUCCESS) \| rc=0/g) ?? []).length;
    return { ms: r.ms, ok, failures: ok < n ? [`${n - ok} failed`] : [] };
  }

  async setRtt(rtt: number) {
    await this.delayd.set(rtt);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) samples.push(await timeConnect(this.bed.hosts[0].address, this.bed.hosts[0].port));
    const measured = summarize(samples).median;
    this.results.measuredRtt[String(rtt)] = Math.round(measured * 10) / 10;
    log(`RTT ${rtt} ms: TCP connect ${measured.toFixed(1)} ms`);
  }

  /** Median of `runs` runs of `tool` on n hosts, recorded as a row. */
  async measure(
    scenario: string,
    rtt: number,
    n: number,
    id: string,
    run: () => Promise<{ ms: number; ok: number; failures: string[] }>,
    runs = RUNS,
    note?: string,
    prepare?: () => Promise<unknown>,
  ) {
    const times: number[] = [];
    let ok = n;
    for (let i = 0; i < runs; i++) {
      await prepare?.();
      await delay(300);
      const r = await run();
      times.push(r.ms);
      ok = Math.min(ok, r.ok);
      log(`  ${scenario} RTT ${rtt} N=${n} ${id}: ${r.ms.toFixed(0)} ms, ${r.ok}/${n} ok${r.failures.length ? ` (${r.failures[0].slice(0, 160)})` : ''}`);
    }
    const row: WanRow = { scenario, tool: id, rttMs: rtt, n, ms: times.length ? Math.round(summarize(times).median) : null, runs: times.map(Math.round), ok, note };
    this.results.rows.push(row);
    return row;
  }

  async closeSessions() {
    await this.cli(['session', 'remove', 'warm1', '-F', this.bed.sshConfigPath]).catch(() => undefined);
    await this.cli(['session', 'remove', 'warm50', '-F', this.bed.sshConfigPath]).catch(() => undefined);
    await this.cli(['session', 'remove', 'cold1', '-F', this.bed.sshConfigPath], undefined, NO_HOLDER).catch(() => undefined);
    // Any holder left (a failed run): by its pid file, then the directory.
    const dir = path.join(this.runtimeDir, `remote-invoke-${process.getuid?.()}`);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((x) => x.endsWith('.pid')) : []) {
      const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (pid > 1) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}

async function coldFanout(b: Bench) {
  const tools: Tool[] = [
    { id: 'remote-invoke (default)', run: (n) => b.engine(n) },
    { id: 'remote-invoke -t 32', run: (n) => b.engine(n, ['-t', '32']) },
    { id: 'parallel-ssh -p 32', run: (n) => b.pssh(n, 32) },
    { id: 'parallel-ssh -p 100', run: (n) => b.pssh(n, 100) },
    { id: 'ssh loop (32)', run: (n) => b.sshLoop(n) },
    // Ansible takes minutes per run at 100 hosts on two cores: one run, up to 50 hosts.
    { id: 'ansible -f 32', run: (n) => b.ansible(n), maxN: 50, runs: 1 },
  ];
  for (const rtt of RTTS) {
    await b.setRtt(rtt);
    for (const n of SIZES) {
      for (const t of tools) {
        if (t.maxN && n > t.maxN) continue;
        await b.measure('cold', rtt, n, t.id, () => t.run(n), t.runs ?? RUNS);
      }
    }
  }
}

async function roundTrips(b: Bench) {
  const n = 1;
  const tools: Tool[] = [
    { id: 'remote-invoke run', run: () => b.engine(1) },
    {
      id: 'remote-invoke run --session (warm, holder)',
      prepare: () => b.cli(['run', '-F', b.bed.sshConfigPath, '-H', b.ws.names(1)[0], '--session', 'warm1', '-c', 'true']),
      run: () => b.cli(['run', '-F', b.bed.sshConfigPath, '--session', 'warm1', '-c', COMMAND, '--json']),
    },
    {
      // Today's cold reconnect: a new process, no holder (REMOTE_INVOKE_HOLDER=0), a new connection and an attach.
      id: 'remote-invoke run --session (reconnect, no holder)',
      prepare: () => b.cli(['run', '-F', b.bed.sshConfigPath, '-H', b.ws.names(1)[0], '--session', 'cold1', '-c', 'true'], undefined, NO_HOLDER),
      run: () => b.cli(['run', '-F', b.bed.sshConfigPath, '--session', 'cold1', '-c', COMMAND, '--json'], undefined, NO_HOLDER),
    },
    { id: 'ssh', run: () => b.sshLoop(1) },
    { id: 'parallel-ssh', run: () => b.pssh(1, 32) },
    { id: 'ansible', run: () => b.ansible(1), runs: 3 },
    { id: 'ssh via ControlMaster (warm)', prepare: () => b.sshLoop(1, b.ws.controlOptions()), run: () => b.sshLoop(1, b.ws.controlOptions()) },
  ];
  const times: Record<string, Record<number, number | null>> = {};
  for (const rtt of [0, 100]) {
    await b.setRtt(rtt);
    for (const t of tools) {
      const row = await b.measure('round-trips', rtt, n, t.id, () => t.run(n), t.runs ?? Math.max(RUNS, 5), undefined, t.prepare);
      (times[t.id] ??= {})[rtt] = row.ms;
    }
  }
  for (const t of tools) {
    const ms0 = times[t.id][0] ?? null;
    const ms100 = times[t.id][100] ?? null;
    b.results.roundTrips.push({ tool: t.id, ms0, ms100, roundTrips: ms0 !== null && ms100 !== null ? Math.round(((ms100 - ms0) / 100) * 10) / 10 : null });
  }
}

async function warm(b: Bench) {
  for (const rtt of RTTS.filter((r) => r === 0 || r === 100)) {
    await b.setRtt(rtt);
    for (const n of [1, 50]) {
      const name = n === 1 ? 'warm1' : 'warm50';
      // Opened before each timed run (not timed): the session's holder, a ControlMaster per host.
      await b.measure(
        'warm',
        rtt,
        n,
        'remote-invoke run --session (new process, holder)',
        () => b.cli(['run', '-F', b.bed.sshConfigPath, '--session', name, '-c', COMMAND, '--json']),
        RUNS,
        undefined,
        () => b.cli(['run', '-F', b.bed.sshConfigPath, '-H', b.ws.names(n).join(','), '--session', name, '-c', 'true']),
      );
      await b.measure('warm', rtt, n, 'ssh loop via ControlMaster', () => b.sshLoop(n, b.ws.controlOptions()), RUNS, undefined, () =>
        b.sshLoop(n, b.ws.controlOptions()),
      );
    }
  }
}

async function loss(b: Bench) {
  const n = Math.min(50, Math.max(...SIZES));
  await b.setRtt(20);
  for (const pct of [1, 5]) {
    setLoss(pct);
    await b.measure(`loss ${pct}%`, 20, n, 'remote-invoke (default)', () => b.engine(n), RUNS, `${pct}% of packets dropped`);
    await b.measure(`loss ${pct}%`, 20, n, 'parallel-ssh -p 32', () => b.pssh(n, 32), RUNS, `${pct}% of packets dropped`);
  }
  setLoss(0);
}

async function blackHoles(b: Bench) {
  const n = Math.min(50, Math.max(...SIZES));
  await b.setRtt(20);
  const holes = b.bed.hosts.slice(0, n).filter((_, i) => i % 10 === 3).slice(0, 5);
  setBlackHoles(holes.map((h) => h.address));
  const note = `${holes.length} of ${n} hosts black-holed; connect timeout 5 s for every tool`;
  await b.measure('black holes', 20, n, 'remote-invoke (default)', () => b.engine(n, ['--connect-timeout', '5']), RUNS, note);
  await b.measure('black holes', 20, n, 'parallel-ssh -p 32', () => b.pssh(n, 32, ['-o', 'ConnectTimeout=5']), RUNS, note);
  await b.measure('black holes', 20, n, 'ssh loop (32)', () => b.sshLoop(n, ['-o', 'ConnectTimeout=5']), RUNS, note);
  setBlackHoles([]);
}

async function main() {
  // Stopped from outside: end as after the last scenario (sessions, hosts, delayd), then go.
  let stopping: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  process.once('SIGTERM', () => stopping?.());
  shapeLoopback();
  const work = fs.mkdtempSync(path.join(env('WAN_TMP', '/tmp'), 'wan-'));
  const delayd = new Delay(env('WAN_DELAYD', ''), Number(env('WAN_LIFETIME_S', '10800')));
  await delayd.set(0);
  const hosts = Math.max(...SIZES, 50);
  log(`starting ${hosts} sshd hosts in the namespace`);
  // `AcceptEnv LANG LC_*` is the default sshd_config of Debian and Ubuntu (this machine's own):
  // with it a one-shot's first input travels with its exec request (src/core/session/inlineStart.ts).
  const bed = await startTestBed({ count: hosts, extraSshdConfig: 'AcceptEnv LANG LC_*' });
  const ws = new PeerWorkspace(bed, path.join(work, 'peers'));
  const b = new Bench(bed, ws, delayd, work);
  try {
    await Promise.race([
      stopped.then(() => b.results.notes.push('stopped from outside before the end')),
      (async () => {
        if (want('rt')) await roundTrips(b);
        if (want('warm')) await warm(b);
        if (want('cold')) await coldFanout(b);
        if (want('loss')) await loss(b);
        if (want('holes')) await blackHoles(b);
      })(),
    ]);
  } catch (err) {
    b.results.notes.push(`failed: ${(err as Error).stack ?? err}`);
    log(`FAILED: ${(err as Error).stack ?? err}`);
  } finally {
    await b.closeSessions();
    ws.cleanup();
    await bed.stop();
    await delayd.stop();
    fs.writeFileSync(OUT, JSON.stringify(b.results, null, 2) + '\n');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`inner failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);
