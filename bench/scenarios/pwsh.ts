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
import type { BenchContext } from '../lib/context';
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
      /** This size could not be measured. */
      error?: string;
    }
  >;
  /** Client heap + external bytes per open PowerShell session (N sessions open). */
  clientBytesPerSession?: number;
  /** The remote pwsh session process: resident set and proportional set size. */
  hostSession?: { rssBytes: number; pssBytes?: number };
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
  } finally {
    local.close();
  }
  return results;
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
  return out;
}

