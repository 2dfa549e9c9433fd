// Scenario 2 — warm fan-out: the same command on the same N hosts through connections opened
// before the clock starts: the engine's persistent sessions (SessionPool), OpenSSH with
// ControlMaster sockets already open, and for reference the ssh2 floor's `exec` on open
// connections.
import { performance } from 'node:perf_hooks';
import type { Client } from 'ssh2';
import { SessionPool } from '../../src/core';
import { BenchContext, skippedResult, toolResult, type Sample, type ToolResult } from '../lib/context';
import { engineFanout } from '../lib/engine';
import { floorConnect, floorExec } from '../lib/floor';
import { LocalShells } from '../lib/hostWork';
import { closeControlMasters, openControlMasters, runSshLoop, type PeerInfo } from '../lib/peers';
import { connectionCount, delay, listProcs, pssKb } from '../lib/proc';
import { COMMAND } from './cold';

export interface WarmResults {
  command: string;
  bySize: Record<number, ToolResult[]>;
  /** Memory of the open OpenSSH master processes (their PSS), for the memory comparison. */
  controlMasters?: { count: number; pssKb: number };
}

async function openFloorConnections(ctx: BenchContext, n: number): Promise<Client[]> {
  const hosts = ctx.floorHosts(n);
  const clients: Client[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < hosts.length) {
        const i = next++;
        clients[i] = await floorConnect(hosts[i], ctx.auth);
      }
    }),
  );
  return clients;
}

async function floorWarmFanout(clients: Client[], n: number) {
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(32, n) }, async () => {
      while (next < n) {
        const i = next++;
        try {
          const r = await floorExec(clients[i], COMMAND);
          if (r.code === 0) ok++;
          else failures.push(`#${i}: exit ${r.code}`);
        } catch (err) {
          failures.push(`#${i}: ${(err as Error).message}`);
        }
      }
    }),
  );
  return { ms: performance.now() - started, ok, failures };
}

function controlMasterMemory(controlDir: string): { count: number; pssKb: number } {
  const masters = listProcs(true).filter((p) => p.cmdline.startsWith('ssh') && p.cmdline.includes(controlDir) && p.cmdline.includes('[mux]'));
  return { count: masters.length, pssKb: masters.reduce((sum, p) => sum + (pssKb(p.pid) ?? 0), 0) };
}

export async function warmFanout(ctx: BenchContext, peers: PeerInfo[]): Promise<WarmResults> {
  const maxN = Math.max(...ctx.options.sizes);
  const sshSkipped = peers.find((p) => p.id === 'ssh-loop')?.skipped;
  const pool = new SessionPool();
  const results: WarmResults = { command: COMMAND, bySize: {} };
  let clients: Client[] = [];
  const localShells = new LocalShells(maxN);
  try {
    ctx.log(`  opening ${maxN} persistent sessions, ${maxN} ssh2 connections${sshSkipped ? '' : ` and ${maxN} ControlMasters`} (not timed)`);
    const opened = await engineFanout(ctx, ctx.names(maxN), 'true', { sessions: pool });
    if (opened.failures.length) ctx.log(`  session open failures: ${opened.failures.slice(0, 3).join('; ')}`);
    clients = await openFloorConnections(ctx, maxN);
    if (!sshSkipped) {
      const cm = await openControlMasters(ctx.ws, maxN);
      if (cm.failures.length) ctx.log(`  ControlMaster open failures: ${cm.failures.join('; ')}`);
      results.controlMasters = controlMasterMemory(ctx.ws.controlDir);
    }
    await delay(500);
    ctx.openConnections = connectionCount(ctx.listeners);
    ctx.log(`  ${ctx.openConnections} connections open`);

    const tools = [
      { tool: 'engine', label: 'remote-invoke invoke() + SessionPool', kind: 'engine' as const, run: (n: number) => engineFanout(ctx, ctx.names(n), COMMAND, { sessions: pool }) },
      { tool: 'ssh2-floor-exec', label: 'bare ssh2 exec on open connections', kind: 'floor' as const, run: (n: number) => floorWarmFanout(clients, n) },
      {
        tool: 'host-work',
        label: "the hosts' own work, no SSH: N shells started beforehand each run the command, all at once",
        kind: 'floor' as const,
        run: (n: number) => localShells.run(n, COMMAND),
      },
      ...(sshSkipped
        ? []
        : [{ tool: 'ssh-controlmaster', label: 'OpenSSH ControlMaster (pre-opened)', kind: 'peer' as const, run: (n: number) => runSshLoop(ctx.ws, n, COMMAND, ctx.ws.controlOptions()) }]),
    ];
    for (const t of tools) {
      const r = await t.run(Math.min(10, maxN));
      ctx.log(`  warm-up ${t.tool}: ${r.ms.toFixed(1)} ms`);
    }
    for (const n of ctx.options.sizes) {
      const samples = new Map<string, Sample[]>(tools.map((t) => [t.tool, []]));
      for (let run = 0; run < ctx.options.runs; run++) {
        for (const t of tools.map((_, i) => tools[(i + run) % tools.length])) {
          const s = await ctx.measure(() => t.run(n));
          samples.get(t.tool)!.push(s);
          ctx.log(`  warm N=${n} run ${run + 1} ${t.tool}: ${s.ms.toFixed(1)} ms${s.failures.length ? ` FAILURES: ${s.failures[0]}` : ''}`);
        }
      }
      results.bySize[n] = [
        ...tools.map((t) => toolResult({ tool: t.tool, label: t.label, kind: t.kind, n }, samples.get(t.tool)!, n)),
        ...(sshSkipped ? [skippedResult({ tool: 'ssh-controlmaster', label: 'OpenSSH ControlMaster (pre-opened)', kind: 'peer', n }, sshSkipped)] : []),
      ];
    }
  } finally {
    ctx.openConnections = 0;
    localShells.close();
    await pool.dispose();
    for (const c of clients) c?.end();
    if (!sshSkipped) await closeControlMasters(ctx.ws, maxN);
  }
  return results;
}
