// Scenario 4 — throughput: one host prints 100 MB (1 M lines of 100 bytes); the client reads it
// all. Every client runs in a child process of its own so its peak RSS (VmHWM) is its alone.
// The generator is `yes | head -c`, which runs at >1 GB/s here, so the link and the clients are
// what is measured (`… | tr | fold -w 100` tops out near 160 MB/s on this box and would be).
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { median } from '../lib/context';
import type { PeerInfo } from '../lib/peers';
import { runProcess } from '../lib/proc';
import { summarize, type Summary } from '../lib/stats';
import type { ThroughputJob } from '../children/throughput';

export interface ThroughputTool {
  tool: string;
  label: string;
  kind: 'engine' | 'floor' | 'peer';
  time: Summary;
  /** MB/s (10^6 bytes) from the median and the best time */
  mbPerSecMedian: number;
  mbPerSecBest: number;
  /** client peak RSS, MiB (median over runs) */
  peakRssMiB?: number;
  peakRssSource?: string;
  complete: boolean;
  failures: string[];
  skipped?: string;
  note?: string;
}

export interface ThroughputResults {
  bytes: number;
  command: string;
  tools: ThroughputTool[];
}

interface Run {
  ms: number;
  ok: boolean;
  peakRssKb?: number;
  detail?: string;
}

export function generatorCommand(bytes: number): string {
  return `yes ${'x'.repeat(99)} | head -c ${bytes}`;
}

export async function throughput(ctx: BenchContext, peers: PeerInfo[], childrenDir: string, cliSkipped: string | undefined): Promise<ThroughputResults> {
  const bytes = ctx.options.throughputBytes;
  const command = generatorCommand(bytes);
  const host = ctx.bed.hosts[0];
  const job = (mode: ThroughputJob['mode']): ThroughputJob => ({
    mode,
    sshConfigPath: ctx.bed.sshConfigPath,
    host: { name: host.name, address: host.address, port: host.port, hostKeyPub: host.hostKeyPub },
    user: ctx.bed.user,
    keyPath: ctx.bed.clientKeyPath,
    command,
  });
  const child = (mode: ThroughputJob['mode']) => async (): Promise<Run> => {
    const r = await runProcess(process.execPath, [path.join(childrenDir, 'throughput.js'), JSON.stringify(job(mode))], { env: ctx.ws.sshEnv(), timeoutMs: 300_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '{}';
    const out = JSON.parse(line.startsWith('{') ? line : '{}') as { ms?: number; bytes?: number; ok?: boolean; peakRssKb?: number; detail?: string };
    const ok = !!out.ok && out.bytes === bytes;
    return { ms: out.ms ?? NaN, ok, peakRssKb: out.peakRssKb, detail: ok ? undefined : `${out.detail ?? r.stderr.trim()} (got ${out.bytes} bytes)` };
  };
  const external = (cmd: string, args: string[]) => async (): Promise<Run> => {
    const r = await runProcess(cmd, args, { env: ctx.ws.sshEnv(), discardStdout: true, samplePeakRss: true, timeoutMs: 300_000 });
    return { ms: r.ms, ok: r.code === 0, peakRssKb: r.peakRssKb, detail: r.code === 0 ? undefined : `exit ${r.code}: ${r.stderr.trim()}` };
  };
  const sshSkipped = peers.find((p) => p.id === 'ssh-loop')?.skipped;
  const tools = [
    { tool: 'engine', label: 'remote-invoke invoke() (new connection)', kind: 'engine' as const, rss: 'VmHWM of the child', run: child('engine') },
    {
      tool: 'engine-session',
      label: 'remote-invoke invoke() on an open session',
      kind: 'engine' as const,
      rss: 'VmHWM of the child',
      note: 'session opened before the clock starts: the stream alone',
      run: child('engine-session'),
    },
    {
      tool: 'engine-cli',
      label: 'remote-invoke CLI > /dev/null',
      kind: 'engine' as const,
      rss: 'VmHWM sampled every 5 ms',
      skipped: cliSkipped,
      note: 'text mode: every line written with its host prefix',
      run: external(process.execPath, [ctx.options.cli!, 'run', '-F', ctx.bed.sshConfigPath, '-H', host.name, '-c', command]),
    },
    { tool: 'ssh2-floor', label: 'bare ssh2 exec (floor)', kind: 'floor' as const, rss: 'VmHWM of the child', run: child('floor') },
    {
      tool: 'ssh',
      label: 'OpenSSH `ssh host cmd > /dev/null`',
      kind: 'peer' as const,
      rss: 'VmHWM sampled every 5 ms',
      skipped: sshSkipped,
      run: external('ssh', ['-n', '-F', ctx.bed.sshConfigPath, host.name, command]),
    },
  ];
  const active = tools.filter((t) => !t.skipped);
  const runs = new Map<string, Run[]>(active.map((t) => [t.tool, []]));
  for (const t of active) await t.run(); // warm-up: page cache, JIT of nothing, sshd's first fork
  for (let i = 0; i < ctx.options.runs; i++) {
    for (const t of active.map((_, k) => active[(k + i) % active.length])) {
      let r: Run = { ms: NaN, ok: false };
      await ctx.measure(async () => {
        r = await t.run();
        return { ms: r.ms, ok: r.ok ? 1 : 0, failures: r.detail ? [r.detail] : [] };
      });
      runs.get(t.tool)!.push(r);
      ctx.log(`  throughput run ${i + 1} ${t.tool}: ${r.ms.toFixed(0)} ms, ${((bytes / 1e6) / (r.ms / 1000)).toFixed(0)} MB/s, peak RSS ${((r.peakRssKb ?? NaN) / 1024).toFixed(1)} MiB${r.ok ? '' : ` FAILED ${r.detail}`}`);
    }
  }
  return {
    bytes,
    command,
    tools: tools.map((t) => {
      const base = { tool: t.tool, label: t.label, kind: t.kind, note: t.note, peakRssSource: t.rss };
      if (t.skipped) return { ...base, time: summarize([]), mbPerSecMedian: NaN, mbPerSecBest: NaN, complete: false, failures: [], skipped: t.skipped };
      const rs = runs.get(t.tool)!;
      const time = summarize(rs.map((r) => r.ms));
      const rss = rs.map((r) => r.peakRssKb).filter((x): x is number => x !== undefined);
      return {
        ...base,
        time,
        mbPerSecMedian: bytes / 1e6 / (time.median / 1000),
        mbPerSecBest: bytes / 1e6 / (time.min / 1000),
        peakRssMiB: rss.length ? median(rss)! / 1024 : undefined,
        complete: rs.every((r) => r.ok),
        failures: rs.flatMap((r) => (r.detail ? [r.detail] : [])).slice(0, 3),
      };
    }),
  };
}
