// PowerShell's own remoting over SSH as a peer (issue 9), side by side in the same bench run:
//   cold   Invoke-Command -HostName h1,h2,… -ScriptBlock { [Environment]::MachineName }
//          against a .ps1 run with Remote Invoke (a fresh pwsh per host, no session);
//   warm   New-PSSession -HostName … once, then Invoke-Command -Session $s { … },
//          against a re-run in Remote Invoke's PowerShell sessions;
//   floor  N pwsh processes started beforehand (here, on the hosts' own machine), each running
//          the command: what PowerShell itself costs with no transport at all.
// Plus client memory per open PowerShell session and the host-side memory of one pwsh session.
// Each bed host's sshd has `Subsystem powershell <pwsh> -sshs -NoLogo -NoProfile` (pwshSubsystem()).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { invoke, SessionPool } from '../../src/core';
import { PWSH_DIALECT } from '../../src/core/session/pwsh/dialect';
import type { BenchContext } from '../lib/context';
import { ProcessCpu, treeCpuMs, type CpuSplit } from '../lib/procCpu';
import { fmtBytes, fmtMs, fmtRatio, summarize, type Summary } from '../lib/stats';

const COMMAND = '[Environment]::MachineName';

export function pwshPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/** sshd_config line for the bed: PowerShell remoting's SSH subsystem, when pwsh is installed. */
export function pwshSubsystem(): string {
  const pwsh = pwshPath();
  return pwsh ? `Subsystem powershell ${pwsh} -sshs -NoLogo -NoProfile` : '';
}

export interface PwshResults {
  command: string;
  skipped?: string;
  bySize: Record<
    string,
    {
      ours: { cold?: Summary; warm?: Summary };
      invokeCommand: { cold?: Summary; warm?: Summary; error?: string };
      floor?: Summary;
      ratios: { cold?: number; warm?: number; warmVsFloor?: number };
      /** Where the time goes: CPU of the client side and of the hosts (sshd + pwsh) in one profiled run (warm: per run). */
      profile?: {
        cold: { ours?: Profiled; invokeCommand?: Profiled };
        warm: { ours?: Profiled; invokeCommand?: Profiled };
      };
      /** This size could not be measured. */
      error?: string;
    }
  >;
  /** The PowerShell host loop on its own (a local pwsh, no ssh): where a cold and a warm run's host time goes. */
  hostLoop?: HostLoopPhases;
  /** Client heap + external bytes per open PowerShell session (N sessions open). */
  clientBytesPerSession?: number;
  /** The remote pwsh session process: resident set and proportional set size. */
  hostSession?: { rssBytes: number; pssBytes?: number };
}

type Profiled = CpuSplit & { wallMs: number };

export interface HostLoopPhases {
  /** `pwsh -NoLogo -NoProfile -NonInteractive -c exit`: the bare start and end of pwsh (median wall, CPU). */
  bareStart: { wallMs: number; cpuMs: number };
  /** Our start command until the host loop's hello (pwsh start + bootstrap + host loop set-up). */
  hello: { wallMs: number; cpuMs: number };
  /** The first run of `[Environment]::MachineName` in that process (the run path compiled on first use). */
  firstRun: { wallMs: number; cpuMs: number };
  /** Later runs of the same command (median wall, CPU per run). */
  warmRun: { wallMs: number; cpuMs: number };
  /** Later runs that write 200 strings, and 200 objects (JSON and formatted text for each). */
  strings200: { wallMs: number; cpuMs: number };
  objects200: { wallMs: number; cpuMs: number };
  /** The floor's unit of work: one console-hosted pwsh (`-Command -`) answering one line (median wall, CPU). */
  floorRun: { wallMs: number; cpuMs: number };
}

/** A pwsh process on this machine that runs PowerShell for the bench and returns each script's last line. */
class LocalPwsh {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiter: ((line: string) => void) | undefined;

  constructor() {
    this.child = spawn('pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '-'], { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      // The console host may put terminal mode sequences in front of an answer.
      const m = /@@([^\n]*)\n/.exec(this.buffer);
      if (m && this.waiter) {
        this.buffer = this.buffer.slice((m.index ?? 0) + m[0].length);
        const w = this.waiter;
        this.waiter = undefined;
        w(m[1]);
      }
    });
    this.child.stderr.resume();
  }

  /** Runs one line of PowerShell; resolves with what it writes as `@@<text>`. */
  ask(line: string, timeoutMs = 600_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pwsh did not answer within ${timeoutMs} ms: ${line.slice(0, 80)}`)), timeoutMs);
      this.waiter = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.child.stdin.write(line.replace(/\n/g, ' ') + '\n');
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  close(): void {
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
  }
}

function psString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * How Invoke-Command / New-PSSession reach the bed's first n hosts: `-HostName a,b,… -Port P
 * -UserName U -KeyFilePath K -Options @{…}` when they share a port (the issue's form), else one
 * `-SSHConnection` hashtable per host.
 */
function sshTargets(ctx: BenchContext, n: number): string {
  const bed = ctx.bed;
  const hosts = bed.hosts.slice(0, n);
  const options = `@{ UserKnownHostsFile = ${psString(bed.knownHostsPath)}; StrictHostKeyChecking = 'yes' }`;
  if (hosts.every((h) => h.port === hosts[0].port)) {
    return `-HostName ${hosts.map((h) => psString(h.address)).join(',')} -Port ${hosts[0].port} -UserName ${psString(bed.user)} -KeyFilePath ${psString(bed.clientKeyPath)} -Options ${options}`;
  }
  const tables = hosts.map(
    (h) =>
      `@{ HostName = ${psString(h.address)}; Port = ${h.port}; UserName = ${psString(bed.user)}; KeyFilePath = ${psString(bed.clientKeyPath)}; ConnectingTimeout = 60000; Options = ${options} }`,
  );
  return `-SSHConnection @(${tables.join(', ')})`;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await work();
  return performance.now() - t;
}

export async function pwshPeer(ctx: BenchContext): Promise<PwshResults> {
  const results: PwshResults = { command: COMMAND, bySize: {} };
  if (!pwshPath()) return { ...results, skipped: 'pwsh is not installed (scripts/setup.sh installs it)' };
  const runs = ctx.options.runs;
  const script = { text: `${COMMAND}\n`, fileName: 'machine.ps1' };
  const local = new LocalPwsh();
  try {
    await local.ask('"@@ready"');
    for (const n of ctx.options.sizes.filter((s) => s <= 50)) {
      const names = ctx.names(n);
      const row: PwshResults['bySize'][string] = { ours: {}, invokeCommand: {}, ratios: {} };
      results.bySize[n] = row;
      // One size that cannot be measured (a box too busy to start 50 pwsh in time) keeps the others.
      try {
        // Fifty pwsh processes starting at once keep two cores busy for a while: connecting may wait.
        const request = { sshConfig: ctx.sshConfig, targets: names, script, connectTimeoutMs: 120_000 };
        const check = (outcome: { status: string }[]) => {
          const bad = outcome.filter((r) => r.status !== 'Completed');
          if (bad.length) throw new Error(`${bad.length} of ${n} hosts did not complete: ${JSON.stringify(bad[0])}`);
        };

        ctx.log(`  pwsh N=${n}: cold, Remote Invoke (.ps1, a fresh pwsh per host)`);
        const oursCold: number[] = [];
        for (let i = 0; i < runs; i++) {
          oursCold.push(await timed(async () => check(await drain(invoke(request)))));
        }
        row.ours.cold = summarize(oursCold);
        const profile: NonNullable<typeof row.profile> = { cold: {}, warm: {} };
        row.profile = profile;
        profile.cold.ours = await profiled(ctx, 1, async () => check(await drain(invoke(request))));

        ctx.log(`  pwsh N=${n}: cold, Invoke-Command -HostName`);
        try {
          const icCold: number[] = [];
          for (let i = 0; i < runs; i++) {
            const answer = await local.ask(
              `$r = $null; $t = Measure-Command { $r = Invoke-Command ${sshTargets(ctx, n)} -ScriptBlock { ${COMMAND} } }; "@@$($t.TotalMilliseconds) $(@($r).Count)"`,
            );
            const [ms, count] = answer.split(' ').map(Number);
            if (count !== n) throw new Error(`Invoke-Command returned ${count} of ${n} results`);
            icCold.push(ms);
          }
          row.invokeCommand.cold = summarize(icCold);
          profile.cold.invokeCommand = await profiled(ctx, 1, async () => {
            await local.ask(`$r = Invoke-Command ${sshTargets(ctx, n)} -ScriptBlock { ${COMMAND} }; "@@$(@($r).Count)"`);
          });
      } catch (err) {
        row.invokeCommand.error = `cold: ${(err as Error).message}`;
      }

      ctx.log(`  pwsh N=${n}: warm, Remote Invoke PowerShell sessions`);
      const pool = new SessionPool();
      const heapBefore = heap();
      check(await drain(invoke({ ...request, sessions: pool })));
      if (n === Math.max(...ctx.options.sizes.filter((s) => s <= 50))) {
        results.clientBytesPerSession = Math.max(0, heap() - heapBefore) / n;
        results.hostSession = await hostSessionMemory(pool, ctx, names[0]);
      }
      const oursWarm: number[] = [];
      for (let i = 0; i < runs * 3; i++) oursWarm.push(await timed(async () => check(await drain(invoke({ ...request, sessions: pool })))));
      row.ours.warm = summarize(oursWarm);
      profile.warm.ours = await profiled(ctx, 5, async () => {
        for (let i = 0; i < 5; i++) check(await drain(invoke({ ...request, sessions: pool })));
      });
      await pool.closeAll();

      ctx.log(`  pwsh N=${n}: warm, New-PSSession once, then Invoke-Command -Session`);
      try {
        await local.ask(`$s = New-PSSession ${sshTargets(ctx, n)}; "@@$(@($s).Count)"`);
        const icWarm: number[] = [];
        for (let i = 0; i < runs * 3; i++) {
          const answer = await local.ask(`$t = Measure-Command { $r = Invoke-Command -Session $s -ScriptBlock { ${COMMAND} } }; "@@$($t.TotalMilliseconds) $(@($r).Count)"`);
          const [ms, count] = answer.split(' ').map(Number);
          if (count !== n) throw new Error(`Invoke-Command -Session returned ${count} of ${n} results`);
          icWarm.push(ms);
        }
        row.invokeCommand.warm = summarize(icWarm);
        profile.warm.invokeCommand = await profiled(ctx, 5, async () => {
          for (let i = 0; i < 5; i++) await local.ask(`$r = Invoke-Command -Session $s -ScriptBlock { ${COMMAND} }; "@@$(@($r).Count)"`);
        });
        await local.ask('Remove-PSSession $s; "@@done"');
      } catch (err) {
        row.invokeCommand.error = [row.invokeCommand.error, `warm: ${(err as Error).message}`].filter(Boolean).join('; ');
      }

      ctx.log(`  pwsh N=${n}: floor, ${n} pwsh processes started beforehand`);
      row.floor = summarize(await floor(n, runs * 3));

      const ratio = (a?: Summary, b?: Summary) => (a && b ? a.median / b.median : undefined);
      row.ratios = {
        cold: ratio(row.invokeCommand.cold, row.ours.cold),
        warm: ratio(row.invokeCommand.warm, row.ours.warm),
        warmVsFloor: ratio(row.ours.warm, row.floor),
      };
      ctx.log(
        `  pwsh N=${n}: cold ours ${fmtMs(row.ours.cold.median)} vs Invoke-Command ${fmtMs(row.invokeCommand.cold?.median ?? NaN)} (${fmtRatio(row.ratios.cold ?? NaN)}); ` +
          `warm ours ${fmtMs(row.ours.warm.median)} vs ${fmtMs(row.invokeCommand.warm?.median ?? NaN)} (${fmtRatio(row.ratios.warm ?? NaN)}); floor ${fmtMs(row.floor.median)}`,
      );
      } catch (err) {
        row.error = (err as Error).message;
        ctx.log(`  pwsh N=${n}: FAILED: ${row.error}`);
      }
    }
    ctx.log('  pwsh: the host loop on its own (local pwsh, no ssh)');
    try {
      results.hostLoop = await hostLoopPhases();
    } catch (err) {
      ctx.log(`  pwsh: host loop phases FAILED: ${(err as Error).message}`);
    }
  } finally {
    local.close();
  }
  return results;
}

/** One profiled stretch of work: wall time and the CPU split, divided by `per` (runs in it). */
async function profiled(ctx: BenchContext, per: number, work: () => Promise<void>): Promise<Profiled> {
  const cpu = new ProcessCpu(ctx.listeners);
  cpu.start();
  const t = performance.now();
  await work();
  const wallMs = performance.now() - t;
  const split = cpu.stop();
  return {
    wallMs: wallMs / per,
    clientMs: split.clientMs / per,
    hostMs: split.hostMs / per,
    hostPwshMs: split.hostPwshMs / per,
    hostPwshProcesses: split.hostPwshProcesses,
  };
}

/** The pwsh launcher and its runtime child (a .NET global tool is two processes). */
const cpuMsOf = treeCpuMs;

const median = (xs: number[]) => summarize(xs).median;

/** Phases of the host loop in a local pwsh started with our start command (the same bytes a host gets). */
async function hostLoopPhases(rounds = 5): Promise<HostLoopPhases> {
  const bare = { wall: [] as number[], cpu: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-c', 'exit'], { encoding: 'utf8' });
    bare.wall.push(performance.now() - t);
    const [u, sy] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    bare.cpu.push((u + sy) * 1000);
  }
  const warmKept: [number[], number[]] = [[], []];
  const phases = { hello: [[], []], firstRun: [[], []], warmRun: [[], []], strings200: [[], []], objects200: [[], []] } as Record<string, [number[], number[]]>;
  for (let i = 0; i < rounds; i++) {
    // `exec`, so the pid is pwsh's own (env execs too).
    const child = spawn('sh', ['-c', `exec ${PWSH_DIALECT.startCommand}`], { stdio: 'pipe' });
    child.stderr.resume();
    let buffer = '';
    let waiter: (() => void) | undefined;
    let want = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      if (want && buffer.includes(want)) {
        buffer = '';
        const w = waiter;
        waiter = undefined;
        want = '';
        w?.();
      }
    });
    const until = (marker: string, send: string) =>
      new Promise<void>((resolve) => {
        want = marker;
        waiter = resolve;
        child.stdin.write(send);
      });
    const token = 'BENCHTOKEN';
    const step = async (name: string, marker: string, send: string) => {
      const c0 = cpuMsOf(child.pid as number);
      const t = performance.now();
      await until(marker, send);
      phases[name][0].push(performance.now() - t);
      phases[name][1].push(cpuMsOf(child.pid as number) - c0);
    };
    const runText = (runId: number, text: string) => PWSH_DIALECT.runProgram(token, { runId, text, fileName: 'run-bench.ps1', args: [] });
    const t0 = performance.now();
    await until(`${token} H `, PWSH_DIALECT.helloProgram(token));
    phases.hello[0].push(performance.now() - t0);
    phases.hello[1].push(cpuMsOf(child.pid as number));
    await step('firstRun', `${token} E 1 `, runText(1, `${COMMAND}\n`));
    let id = 2;
    for (let k = 0; k < 20; k++) {
      await step('warmRun', `${token} E ${id} `, runText(id, `${COMMAND}\n`));
      id++;
    }
    // The first few warm runs still JIT: only the last 15 of this process count.
    const kept = phases.warmRun.map((xs) => xs.splice(xs.length - 20, 20).slice(5)) as [number[], number[]];
    warmKept[0].push(...kept[0]);
    warmKept[1].push(...kept[1]);
    for (let k = 0; k < 5; k++) {
      await step('strings200', `${token} E ${id} `, runText(id, '1..200 | ForEach-Object { "item $_" }\n'));
      id++;
      await step('objects200', `${token} E ${id} `, runText(id, '1..200 | ForEach-Object { [pscustomobject]@{ N = $_; Name = "item $_" } }\n'));
      id++;
    }
    child.stdin.end('X\n');
    await new Promise((resolve) => child.on('close', resolve));
  }
  phases.warmRun = warmKept;
  phases.floorRun = [[], []];
  const console = new LocalPwsh();
  try {
    await console.ask('"@@ready"');
    for (let k = 0; k < 40; k++) {
      const c0 = cpuMsOf(console.pid);
      const t = performance.now();
      await console.ask(`"@@$(${COMMAND})"`);
      if (k >= 10) {
        phases.floorRun[0].push(performance.now() - t);
        phases.floorRun[1].push(cpuMsOf(console.pid) - c0);
      }
    }
  } finally {
    console.close();
  }
  const pick = (name: string) => ({ wallMs: median(phases[name][0]), cpuMs: median(phases[name][1]) });
  return {
    bareStart: { wallMs: median(bare.wall), cpuMs: median(bare.cpu) },
    hello: pick('hello'),
    firstRun: pick('firstRun'),
    warmRun: pick('warmRun'),
    strings200: pick('strings200'),
    objects200: pick('objects200'),
    floorRun: pick('floorRun'),
  };
}

/** A full collection before reading the heap, so the figure is what sessions hold, not garbage. */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function heap(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

async function drain(run: ReturnType<typeof invoke>) {
  for await (const batch of run.batches()) void batch;
  return run.results;
}

/** The remote pwsh of one session: its resident and proportional set sizes (the hosts are local). */
async function hostSessionMemory(pool: SessionPool, ctx: BenchContext, host: string): Promise<PwshResults['hostSession']> {
  let pid = 0;
  const run = invoke({ sshConfig: ctx.sshConfig, targets: [host], sessions: pool, script: { text: '$PID', fileName: 'pid.ps1' } });
  for await (const e of run) if (e.type === 'output' && /^\d+$/.test(e.line)) pid = Number(e.line);
  await run.results;
  if (!pid) return undefined;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) * 1024;
  let pss: number | undefined;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024;
  } catch {
    pss = undefined;
  }
  return { rssBytes: rss, pssBytes: pss };
}

/** n pwsh processes, started beforehand, each asked to run the command; time for all n to answer. */
async function floor(n: number, rounds: number): Promise<number[]> {
  const procs = Array.from({ length: n }, () => new LocalPwsh());
  try {
    await Promise.all(procs.map((p) => p.ask('"@@ready"')));
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) samples.push(await timed(async () => void (await Promise.all(procs.map((p) => p.ask(`"@@$(${COMMAND})"`))))));
    return samples;
  } finally {
    for (const p of procs) p.close();
  }
}

export function pwshMarkdown(r: PwshResults | undefined): string[] {
  if (!r) return [];
  const out = ['## PowerShell: Remote Invoke against PowerShell remoting over SSH (issue 9)', ''];
  if (r.skipped) return [...out, `Skipped: ${r.skipped}.`, ''];
  out.push(`Command: \`${r.command}\`. Ratios are *Invoke-Command time / Remote Invoke time* (above 1x: Remote Invoke is faster); warm vs floor is *ours / floor*.`, '');
  out.push('| N | cold: Remote Invoke | cold: Invoke-Command | ratio | warm: Remote Invoke | warm: Invoke-Command -Session | ratio | floor (N pwsh, no transport) | warm / floor |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const [n, row] of Object.entries(r.bySize)) {
    const m = (s?: Summary) => (s ? fmtMs(s.median) : 'n/a');
    const x = (v?: number) => (v === undefined ? 'n/a' : fmtRatio(v));
    out.push(
      `| ${n} | ${m(row.ours.cold)} | ${m(row.invokeCommand.cold)} | ${x(row.ratios.cold)} | ${m(row.ours.warm)} | ${m(row.invokeCommand.warm)} | ${x(row.ratios.warm)} | ${m(row.floor)} | ${x(row.ratios.warmVsFloor)} |`,
    );
    if (row.error) out.push(`|   | not measured: ${row.error.replace(/\|/g, '/')} | | | | | | | |`);
    if (row.invokeCommand.error) out.push(`|   | Invoke-Command failed: ${row.invokeCommand.error.replace(/\|/g, '/')} | | | | | | | |`);
  }
  out.push('');
  if (r.clientBytesPerSession !== undefined) out.push(`Client memory per open PowerShell session: ${fmtBytes(r.clientBytesPerSession)} (heap + external, N sessions open).`);
  if (r.hostSession) out.push(`Host-side memory of one pwsh session: RSS ${fmtBytes(r.hostSession.rssBytes)}${r.hostSession.pssBytes ? `, PSS ${fmtBytes(r.hostSession.pssBytes)}` : ''}.`);
  out.push('');
  const profiles = Object.entries(r.bySize).filter(([, row]) => row.profile);
  if (profiles.length) {
    out.push('### Where the time goes (CPU of one profiled run; warm: per run)', '');
    out.push('Client: the bench process (for Remote Invoke, the client itself) and its other descendants (ssh, the PowerShell client). Hosts: everything under the bed\'s sshd listeners (sshd sessions, pwsh). Sampled from /proc every 20 ms.', '');
    out.push('| N | run | wall | client CPU | host CPU | of which pwsh | pwsh processes |');
    out.push('|---|---|---:|---:|---:|---:|---:|');
    for (const [n, row] of profiles) {
      const p = row.profile as NonNullable<typeof row.profile>;
      const line = (label: string, x?: Profiled) =>
        x && out.push(`| ${n} | ${label} | ${fmtMs(x.wallMs)} | ${fmtMs(x.clientMs)} | ${fmtMs(x.hostMs)} | ${fmtMs(x.hostPwshMs)} | ${x.hostPwshProcesses} |`);
      line('cold, Remote Invoke', p.cold.ours);
      line('cold, Invoke-Command -HostName', p.cold.invokeCommand);
      line('warm, Remote Invoke', p.warm.ours);
      line('warm, Invoke-Command -Session', p.warm.invokeCommand);
    }
    out.push('');
  }
  if (r.hostLoop) {
    const h = r.hostLoop;
    const cell = (x: { wallMs: number; cpuMs: number }) => `${fmtMs(x.wallMs)} | ${fmtMs(x.cpuMs)}`;
    out.push('### The host loop on its own (a local pwsh started with our start command, no ssh; medians)', '');
    out.push('| phase | wall | CPU |', '|---|---:|---:|');
    out.push(`| bare \`pwsh -NoLogo -NoProfile -NonInteractive -c exit\` | ${cell(h.bareStart)} |`);
    out.push(`| our start command → hello (pwsh start, bootstrap, host loop set-up) | ${cell(h.hello)} |`);
    out.push(`| first run of \`${r.command}\` (run path compiled on first use) | ${cell(h.firstRun)} |`);
    out.push(`| a later run of the same | ${cell(h.warmRun)} |`);
    out.push(`| a later run writing 200 strings | ${cell(h.strings200)} |`);
    out.push(`| a later run writing 200 objects (JSON + formatted text each) | ${cell(h.objects200)} |`);
    if (h.floorRun) out.push(`| the floor's unit: a console pwsh (\`-Command -\`) answering one line | ${cell(h.floorRun)} |`);
    out.push('');
  }
  return out;
}

