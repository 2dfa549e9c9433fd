// Scenario 5 — memory: the client's RSS with K open idle sessions, measured in a child process of
// its own (baseline taken after one session was opened and closed, so code and JIT are in the
// baseline and the delta is what sessions keep). The bare ssh2 connection shows how much of
// that ssh2 itself costs; OpenSSH ControlMasters (PSS of the master processes) are for scale.
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { median } from '../lib/context';
import { runProcess } from '../lib/proc';
import type { IdleJob } from '../children/idleSessions';

export interface MemoryTool {
  tool: string;
  label: string;
  kind: 'engine' | 'floor' | 'peer';
  sessions: number;
  /** median over runs */
  baselineRssKb?: number;
  totalRssKb?: number;
  perSessionKb?: number;
  /** per-session figure in every run, for min/median */
  perSessionKbRuns: number[];
  heapPerSessionKb?: number;
  complete: boolean;
  failures: string[];
  note?: string;
}

export interface MemoryResults {
  sessions: number;
  idleMs: number;
  tools: MemoryTool[];
}

interface Snapshot {
  rssKb: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export async function memory(
  ctx: BenchContext,
  childrenDir: string,
  controlMasters: { count: number; pssKb: number } | undefined,
): Promise<MemoryResults> {
  const k = Math.min(ctx.options.idleSessions, ctx.bed.hosts.length);
  const idleMs = 2000;
  const runs = Math.max(1, Math.min(ctx.options.runs, 3));
  const tools: MemoryTool[] = [];
  for (const mode of ['engine', 'floor'] as const) {
    const job: IdleJob = { mode, sshConfigPath: ctx.bed.sshConfigPath, hosts: ctx.floorHosts(k), user: ctx.bed.user, keyPath: ctx.bed.clientKeyPath, idleMs };
    const outs: { before: Snapshot; after: Snapshot; opened: number }[] = [];
    const failures: string[] = [];
    for (let i = 0; i < runs; i++) {
      await ctx.measure(async () => ({ ms: 0, ok: 1, failures: [] }));
      const r = await runProcess(process.execPath, ['--expose-gc', path.join(childrenDir, 'idleSessions.js'), JSON.stringify(job)], { env: ctx.ws.sshEnv(), timeoutMs: 300_000 });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      const out = line.startsWith('{') ? JSON.parse(line) : { ok: false, detail: r.stderr.trim() };
      if (!out.ok) {
        failures.push(out.detail ?? `opened ${out.opened} of ${k}`);
        continue;
      }
      outs.push(out);
      ctx.log(`  memory ${mode} run ${i + 1}: ${k} idle, RSS ${(out.before.rssKb / 1024).toFixed(1)} → ${(out.after.rssKb / 1024).toFixed(1)} MiB, ${((out.after.rssKb - out.before.rssKb) / k).toFixed(0)} KB per session`);
    }
    const per = outs.map((o) => (o.after.rssKb - o.before.rssKb) / o.opened);
    tools.push({
      tool: mode === 'engine' ? 'engine' : 'ssh2-floor',
      label: mode === 'engine' ? 'remote-invoke SessionPool (connection + shell)' : 'bare ssh2 connection',
      kind: mode,
      sessions: k,
      baselineRssKb: median(outs.map((o) => o.before.rssKb)),
      totalRssKb: median(outs.map((o) => o.after.rssKb)),
      perSessionKb: median(per),
      perSessionKbRuns: per.map((x) => Math.round(x)),
      heapPerSessionKb: median(outs.map((o) => (o.after.heapUsed + o.after.external - o.before.heapUsed - o.before.external) / 1024 / o.opened)),
      complete: failures.length === 0 && outs.length === runs,
      failures,
    });
  }
  if (controlMasters?.count) {
    tools.push({
      tool: 'ssh-controlmaster',
      label: 'OpenSSH ControlMaster processes',
      kind: 'peer',
      sessions: controlMasters.count,
      totalRssKb: controlMasters.pssKb,
      perSessionKb: controlMasters.pssKb / controlMasters.count,
      perSessionKbRuns: [Math.round(controlMasters.pssKb / controlMasters.count)],
      complete: true,
      failures: [],
      note: 'PSS of the master processes opened in the warm scenario (one process each)',
    });
  }
  return { sessions: k, idleMs, tools };
}
