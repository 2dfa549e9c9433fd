// The WAN bed (see ../shared/reference/wan-bed.md): a network namespace of our own whose `lo`
// behaves like Ethernet (MTU 1500, no TSO/GSO/GRO), a delay made by delayd (NFQUEUE at
// PREROUTING, which every packet crosses once, so the round trip gains the whole RTT), random
// loss and black-holed hosts by nftables. Nothing leaves the namespace, and every piece stops by
// itself: the namespace is deleted by the bench, delayd dies with its parent or after its
// lifetime.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const QUEUE = 7;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why the WAN bed cannot be made here, or undefined when it can. */
export function wanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables, nft)';
  for (const tool of ['ip', 'iptables', 'nft', 'ethtool', 'gcc']) {
    try {
      sh('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  if (!fs.existsSync('/usr/include/libnetfilter_queue/libnetfilter_queue.h')) return 'libnetfilter-queue-dev is not installed';
  return undefined;
}

/** Compiles delayd into `dir` (never committed as a binary). */
export function buildDelayd(repo: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'delayd');
  sh('gcc', ['-O2', '-Wall', '-o', out, path.join(repo, 'bench', 'wan', 'delayd.c'), '-lnetfilter_queue', '-lnfnetlink']);
  return out;
}

/** Creates the namespace (outside it); returns its name. */
export function createNamespace(name: string): void {
  try {
    sh('ip', ['netns', 'del', name]); // a leftover of a killed run
  } catch {
    /* none */
  }
  sh('ip', ['netns', 'add', name]);
}

export function deleteNamespace(name: string): void {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    /* already gone */
  }
}

/**
 * Inside the namespace: lo up and Ethernet-like, every packet queued to delayd at PREROUTING, and
 * an nft table for loss and black holes.
 */
export function shapeLoopback(): void {
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('ip', ['link', 'set', 'lo', 'mtu', '1500']);
  sh('ethtool', ['-K', 'lo', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
  // No --queue-bypass: a dead delayd stops the traffic (visible) instead of removing the delay.
  sh('iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-i', 'lo', '-j', 'NFQUEUE', '--queue-num', String(QUEUE)]);
  sh('nft', ['add table inet wan']);
  sh('nft', ['add chain inet wan pre { type filter hook prerouting priority -300 ; }']);
  sh('nft', ['add set inet wan holes { type ipv4_addr ; }']);
  // A black-holed host: every packet to or from it is dropped (a cut link, not a refusal).
  sh('nft', ['add rule inet wan pre ip daddr @holes drop']);
  sh('nft', ['add rule inet wan pre ip saddr @holes drop']);
  sh('nft', ['add chain inet wan loss']);
  sh('nft', ['add rule inet wan pre jump loss']);
}

/** Random loss of `percent` % of all packets (both directions), 0 to remove it. */
export function setLoss(percent: number): void {
  sh('nft', ['flush chain inet wan loss']);
  if (percent > 0) sh('nft', [`add rule inet wan loss numgen random mod 10000 < ${Math.round(percent * 100)} drop`]);
}

export function setBlackHoles(addresses: string[]): void {
  sh('nft', ['flush set inet wan holes']);
  if (addresses.length) sh('nft', [`add element inet wan holes { ${addresses.join(', ')} }`]);
}

/** delayd holding every packet RTT/2; replaced on each change of RTT. */
export class Delay {
  private child: ChildProcess | undefined;
  rttMs = 0;

  constructor(
    private readonly binary: string,
    private readonly lifetimeS: number,
  ) {}

  async set(rttMs: number): Promise<void> {
    await this.stop();
    this.rttMs = rttMs;
    const child = spawn(this.binary, [String(QUEUE), String(Math.round((rttMs * 1000) / 2)), String(this.lifetimeS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`delayd exited with ${code} before it was ready`)));
      child.stdout!.once('data', () => resolve());
    });
    child.removeAllListeners('exit');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** One TCP connect to host:port, ms: a check that the delay is what it should be (1 RTT). */
export function timeConnect(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sock = net.connect({ host, port }, () => {
      resolve(performance.now() - started);
      sock.destroy();
    });
    sock.once('error', reject);
    sock.setTimeout(10_000, () => {
      sock.destroy();
      reject(new Error('connect timed out'));
    });
  });
}
