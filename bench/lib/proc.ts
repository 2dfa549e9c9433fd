// Child processes for the benchmarks: run one with a wall-clock timer (and optionally its peak
// RSS), find installed tools, wait for the sshd hosts to go quiet between measurements.
import { spawn, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** spawn → exit, wall clock */
  ms: number;
  /** highest VmHWM seen for the child itself (kB), when sampled */
  peakRssKb?: number;
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Sample /proc/<pid>/status VmHWM every few ms (it is the kernel's own peak, so late samples lose nothing that was reached earlier). */
  samplePeakRss?: boolean;
  /** Discard stdout instead of collecting it (`> /dev/null`). */
  discardStdout?: boolean;
  input?: string;
}

export function runProcess(cmd: string, args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = [options.input !== undefined ? 'pipe' : 'ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'];
    const started = performance.now();
    const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const sample = () => {
      const kb = child.pid ? statusKb(child.pid, 'VmHWM') : undefined;
      if (kb !== undefined && kb > peak) peak = kb;
    };
    const sampler = options.samplePeakRss ? setInterval(sample, 5) : undefined;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', (err) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(err);
    });
    // 'exit' fires before 'close' (which also waits for the pipes); sample once more while the
    // zombie's status is still readable is not possible, so the sampler runs until exit.
    child.on('exit', () => {
      clearInterval(sampler);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms, peakRssKb: options.samplePeakRss ? peak : undefined, timedOut });
    });
  });
}

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, ...). */
export function statusKb(pid: number, field: string): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Proportional set size (kB) of a process: shared pages split among their users. */
export function pssKb(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

export function listProcs(withCmdline = false): Proc[] {
  const out: Proc[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      const cmdline = withCmdline ? fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ') : '';
      out.push({ pid: Number(e), ppid: Number(rest[1]), cmdline });
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Waits until the hosts' listeners have no per-connection children left beyond `allowed` (the
 * connections meant to stay open): every earlier connection has been torn down, so one tool's teardown is not billed to the next; then lets the
 * box settle a moment. Bounded.
 */
export async function quiesce(listenerPids: number[], settleMs = 150, allowed = 0, timeoutMs = 10_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let left = 0;
  for (;;) {
    left = connectionCount(listenerPids);
    if (left <= allowed || Date.now() > end) break;
    await delay(20);
  }
  await delay(settleMs);
  return left;
}

/** Per-connection sshd processes (direct children of the listeners). */
export function connectionCount(listenerPids: number[]): number {
  const listeners = new Set(listenerPids);
  return listProcs().filter((p) => listeners.has(p.ppid)).length;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** First line of a tool's version output, for the report. */
export async function versionOf(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await runProcess(cmd, args, { timeoutMs: 20_000 });
    return (r.stdout + r.stderr).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}
