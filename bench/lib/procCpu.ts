// CPU time of the processes a scenario starts, split into client side and host side. The bed's
// hosts are local sshd processes, children of the bench: what runs under one of their listeners
// (sshd session processes, pwsh) is the hosts' work; every other descendant of the bench (ssh
// clients, a PowerShell client) plus the bench's own node process is the client's. Processes are
// sampled from /proc every few ms, so one that lives and ends between two samples is missed, and
// each process's last few ms may be: a profile to explain where time goes, not an exact meter.
import * as fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcStat {
  ppid: number;
  ticks: number;
  comm: string;
  key: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // f[0] state, f[1] ppid, f[11] utime, f[12] stime, f[19] starttime
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), comm, key: `${pid}:${f[19]}` };
  } catch {
    return undefined;
  }
}

function snapshot(): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) all.set(pid, stat);
  }
  return all;
}

export interface CpuSplit {
  /** The bench's own process (ours: the Remote Invoke client) plus its descendants outside the hosts. */
  clientMs: number;
  /** Everything under the hosts' sshd listeners. */
  hostMs: number;
  /** Of hostMs: the pwsh processes. */
  hostPwshMs: number;
  /** pwsh processes (launcher and runtime each) started on the hosts during the work. */
  hostPwshProcesses: number;
}

/** CPU of a process and all its descendants now (ms): a pwsh launcher and the runtime it starts, say. */
export function treeCpuMs(root: number): number {
  const all = snapshot();
  let ticks = 0;
  for (const [pid, stat] of all) {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++, p = all.get(p)?.ppid ?? 0) {
      if (p === root) {
        ticks += stat.ticks;
        break;
      }
    }
  }
  return ticks * TICK_MS;
}

export class ProcessCpu {
  private readonly seen = new Map<string, { ticks: number; side: 'client' | 'host'; pwsh: boolean }>();
  private readonly baseline = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private nodeStart = process.cpuUsage();
  /** CPU the sampling itself costs the bench process: not the client's. */
  private samplingMicros = 0;

  constructor(private readonly hostRoots: number[]) {}

  private sample(): void {
    const before = process.cpuUsage();
    this.scan();
    const spent = process.cpuUsage(before);
    this.samplingMicros += spent.user + spent.system;
  }

  private scan(): void {
    const all = snapshot();
    const side = (pid: number): 'client' | 'host' | undefined => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
        if (this.hostRoots.includes(p)) return p === pid ? undefined : 'host';
        if (p === process.pid) return p === pid ? undefined : 'client';
        p = all.get(p)?.ppid ?? 0;
      }
      return undefined;
    };
    for (const [pid, stat] of all) {
      const s = side(pid);
      if (!s) continue;
      // pwsh installed as a .NET global tool is a small `pwsh` launcher whose child `dotnet pwsh.dll` does the work.
      const pwsh = stat.comm === 'pwsh' || stat.comm === 'dotnet' || stat.comm.startsWith('.NET');
      const known = this.seen.get(stat.key);
      if (!known) this.seen.set(stat.key, { ticks: stat.ticks, side: s, pwsh });
      else known.ticks = Math.max(known.ticks, stat.ticks);
    }
  }

  start(intervalMs = 20): void {
    this.sample();
    for (const [key, v] of this.seen) this.baseline.set(key, v.ticks);
    this.nodeStart = process.cpuUsage();
    this.samplingMicros = 0;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): CpuSplit {
    clearInterval(this.timer);
    this.sample();
    const node = process.cpuUsage(this.nodeStart);
    const split: CpuSplit = { clientMs: Math.max(0, node.user + node.system - this.samplingMicros) / 1000, hostMs: 0, hostPwshMs: 0, hostPwshProcesses: 0 };
    for (const [key, v] of this.seen) {
      const ms = (v.ticks - (this.baseline.get(key) ?? 0)) * TICK_MS;
      if (v.side === 'client') split.clientMs += ms;
      else {
        split.hostMs += ms;
        if (v.pwsh) {
          split.hostPwshMs += ms;
          if (!this.baseline.has(key)) split.hostPwshProcesses++;
        }
      }
    }
    return split;
  }
}
