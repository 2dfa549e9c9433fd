// CPU accounting, to explain the wall-clock numbers on a 2-core box where the hosts' sshd and
// the client compete for the same cores.
import * as fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU of reaped children (cutime + cstime), ms. */
export function childrenCpuMs(pid: number | 'self'): number {
  const f = statFields(pid);
  return f ? (Number(f[13]) + Number(f[14])) * TICK_MS : 0;
}

/** This process (user + system) plus every child it has reaped, ms. */
export function clientCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + childrenCpuMs('self');
}

/**
 * CPU the hosts spent so far: every per-connection sshd (and what it ran) descends from its
 * host's listener. Finished ones are billed to the listener's cutime/cstime once reaped; live
 * ones (persistent sessions, their shells) are read directly, with what they have reaped. A
 * process that outlives its connection is reparented away and lost to this count.
 */
export function serverCpuMs(listenerPids: number[]): number {
  const procs = new Map<number, { ppid: number; own: number; reaped: number }>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (!f || f[0] === 'Z') continue;
    procs.set(Number(e), { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) * TICK_MS, reaped: (Number(f[13]) + Number(f[14])) * TICK_MS });
  }
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(pid);
    else children.set(p.ppid, [pid]);
  }
  let total = 0;
  for (const listener of listenerPids) {
    total += procs.get(listener)?.reaped ?? 0;
    const queue = [...(children.get(listener) ?? [])];
    while (queue.length) {
      const pid = queue.pop()!;
      const p = procs.get(pid)!;
      total += p.own + p.reaped;
      queue.push(...(children.get(pid) ?? []));
    }
  }
  return total;
}
