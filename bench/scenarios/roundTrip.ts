// Scenario 3 — round trip on one warm session: a trivial command (`true`) again and again on one
// host. The engine through invoke() + SessionPool (what every run costs), the session's shell
// alone (its framing protocol without invoke()'s bookkeeping), and for reference ssh2's `exec`
// on an open connection and OpenSSH through an open ControlMaster.
import { performance } from 'node:perf_hooks';
import { SessionPool } from '../../src/core';
import type { BenchContext } from '../lib/context';
import { engineFanout } from '../lib/engine';
import { floorConnect, floorExec } from '../lib/floor';
import { closeControlMasters, openControlMasters, type PeerInfo } from '../lib/peers';
import { runProcess } from '../lib/proc';
import { quantile, round3 } from '../lib/stats';

export interface LatencyResult {
  tool: string;
  label: string;
  kind: 'engine' | 'floor' | 'peer';
  iterations: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  failures: number;
  skipped?: string;
}

export interface RoundTripResults {
  command: string;
  host: string;
  tools: LatencyResult[];
}

function latency(base: Pick<LatencyResult, 'tool' | 'label' | 'kind'>, samples: number[], failures: number): LatencyResult {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ...base,
    iterations: samples.length,
    min: round3(sorted[0]),
    median: round3(quantile(sorted, 0.5)),
    p90: round3(quantile(sorted, 0.9)),
    p99: round3(quantile(sorted, 0.99)),
    max: round3(sorted[sorted.length - 1]),
    failures,
  };
}

async function repeat(iterations: number, warmup: number, once: () => Promise<boolean>): Promise<{ samples: number[]; failures: number }> {
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  let failures = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const ok = await once();
    samples.push(performance.now() - t0);
    if (!ok) failures++;
  }
  return { samples, failures };
}

export async function roundTrip(ctx: BenchContext, peers: PeerInfo[]): Promise<RoundTripResults> {
  const host = ctx.bed.hosts[0];
  const iterations = ctx.options.roundTripIterations;
  const tools: LatencyResult[] = [];
  const pool = new SessionPool();
  try {
    // invoke() through the pool
    const opened = await engineFanout(ctx, [host.name], 'true', { sessions: pool });
    if (opened.failures.length) throw new Error(`cannot open a session on ${host.name}: ${opened.failures[0]}`);
    const viaInvoke = await repeat(iterations, 50, async () => (await engineFanout(ctx, [host.name], 'true', { sessions: pool })).ok === 1);
    tools.push(latency({ tool: 'engine', label: 'remote-invoke invoke() + SessionPool', kind: 'engine' }, viaInvoke.samples, viaInvoke.failures));
    ctx.log(`  invoke(): median ${tools.at(-1)!.median} ms, p99 ${tools.at(-1)!.p99} ms`);

    // the session's framed shell alone
    const session = pool.session(host.name);
    const shell = await session.open({ sshConfig: ctx.sshConfig, strictHostKeyChecking: 'yes' });
    const sink = { line: () => true, drained: async () => undefined };
    const raw = await repeat(iterations, 50, async () => {
      const outcome = await shell.run({ text: 'true', fileName: 'bench.sh', args: [] }, sink, {});
      return outcome.end.kind === 'exited' && outcome.end.exitCode === 0;
    });
    tools.push(latency({ tool: 'engine-shell', label: 'the session shell alone (shell.run)', kind: 'engine' }, raw.samples, raw.failures));
    ctx.log(`  shell.run: median ${tools.at(-1)!.median} ms, p99 ${tools.at(-1)!.p99} ms`);
  } finally {
    await pool.dispose();
  }

  // ssh2 exec on an open connection
  const client = await floorConnect(host, ctx.auth);
  try {
    const exec = await repeat(Math.min(iterations, 300), 20, async () => (await floorExec(client, 'true')).code === 0);
    tools.push(latency({ tool: 'ssh2-floor-exec', label: 'bare ssh2 exec on an open connection', kind: 'floor' }, exec.samples, exec.failures));
    ctx.log(`  ssh2 exec: median ${tools.at(-1)!.median} ms, p99 ${tools.at(-1)!.p99} ms`);
  } finally {
    client.end();
  }

  // OpenSSH through an open ControlMaster
  const sshSkipped = peers.find((p) => p.id === 'ssh-loop')?.skipped;
  const cmBase = { tool: 'ssh-controlmaster', label: 'OpenSSH `ssh host true` via ControlMaster', kind: 'peer' as const };
  if (sshSkipped) {
    tools.push({ ...latency(cmBase, [NaN], 0), iterations: 0, skipped: sshSkipped });
  } else {
    await openControlMasters(ctx.ws, 1);
    try {
      const args = ['-n', '-F', ctx.bed.sshConfigPath, ...ctx.ws.controlOptions(), host.name, 'true'];
      const cm = await repeat(Math.min(iterations, 100), 5, async () => (await runProcess('ssh', args, { env: ctx.ws.sshEnv() })).code === 0);
      tools.push(latency(cmBase, cm.samples, cm.failures));
    } finally {
      await closeControlMasters(ctx.ws, 1);
    }
    ctx.log(`  ssh ControlMaster: median ${tools.at(-1)!.median} ms, p99 ${tools.at(-1)!.p99} ms`);
  }
  return { command: 'true', host: host.name, tools };
}
