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
 * CPU the hosts spent: every per-connection sshd (and what it ran) is a child of its host's
 * listener, and is billed to the listener's cutime/cstime once reaped.
 */
export function serverCpuMs(listenerPids: number[]): number {
  let total = 0;
  for (const pid of listenerPids) total += childrenCpuMs(pid);
  return total;
}
