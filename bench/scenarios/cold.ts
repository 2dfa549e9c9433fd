// Scenario 1 — cold fan-out: `uname -n` on N hosts, 32 in flight, a new connection per host
// each time, for the engine (in-process invoke() and the CLI as a user runs it), the bare ssh2
// floor and every peer. Tools take turns within each round so drift on the box hits all alike.
import { BenchContext, skippedResult, toolResult, type Sample, type ToolResult } from '../lib/context';
import { engineFanout, watchHandshakes } from '../lib/engine';
import { floorFanout, type Negotiated } from '../lib/floor';
import { probeKex, runAnsible, runPssh, runSshLoop, type PeerInfo } from '../lib/peers';
import { runProcess } from '../lib/proc';

export const COMMAND = 'uname -n';
/** Ansible needs minutes per run at N=100 on 2 cores; BENCH_ANSIBLE_RUNS overrides. */
const ANSIBLE_RUNS = Number(process.env.BENCH_ANSIBLE_RUNS || 3);

export interface KexRecord {
  tool: string;
  kex?: string;
  cipher?: string;
  /** ssh connections one host needed (Ansible opens several per task) */
  connectionsPerHost?: number;
  source: string;
  error?: string;
}

export interface ColdResults {
  command: string;
  throttle: number;
  bySize: Record<number, ToolResult[]>;
  kex: KexRecord[];
}

interface Tool {
  tool: string;
  label: string;
  kind: ToolResult['kind'];
  skipped?: string;
  note?: string;
  /** fewer runs for a tool that takes minutes per run (its ratio is far from any threshold) */
  maxRuns?: number;
  run(n: number): Promise<{ ms: number; ok: number; failures: string[] }>;
}

export async function cliFanout(ctx: BenchContext, names: string[], command: string) {
  const r = await runProcess(
    process.execPath,
    [ctx.options.cli!, 'run', '-F', ctx.bed.sshConfigPath, '-H', names.join(','), '-c', command, '--json', '-t', '32'],
    { env: ctx.ws.sshEnv(), timeoutMs: 300_000 },
  );
  let completed = 0;
  const failures: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; status?: string; host?: string; error?: string | null };
    if (event.type === 'result') {
      if (event.status === 'Completed') completed++;
      else failures.push(`${event.host}: ${event.status} ${event.error ?? ''}`);
    }
  }
  if (r.code !== 0) failures.push(`exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return { ms: r.ms, ok: completed, failures };
}

function tools(ctx: BenchContext, peers: PeerInfo[], cliSkipped: string | undefined): Tool[] {
  const peer = (id: string) => peers.find((p) => p.id === id)!;
  const peerTool = (id: string, run: Tool['run']): Tool => ({
    tool: id,
    label: peer(id).label,
    kind: 'peer',
    skipped: peer(id).skipped,
    run,
  });
  return [
    {
      tool: 'engine',
      label: 'remote-invoke invoke()',
      kind: 'engine',
      run: (n) => engineFanout(ctx, ctx.names(n), COMMAND),
    },
    {
      tool: 'engine-cli',
      label: 'remote-invoke CLI (--json)',
      kind: 'engine',
      skipped: cliSkipped,
      note: 'a new node process per run, as a user runs it',
      run: (n) => cliFanout(ctx, ctx.names(n), COMMAND),
    },
    {
      tool: 'ssh2-floor',
      label: 'bare ssh2 loop (floor)',
      kind: 'floor',
      run: (n) => floorFanout(ctx.floorHosts(n), ctx.auth, COMMAND, 32),
    },
    peerTool('pssh', (n) => runPssh(ctx.ws, n, COMMAND)),
    peerTool('pssh-curve25519', (n) => runPssh(ctx.ws, n, COMMAND, ['-o', 'KexAlgorithms=curve25519-sha256'])),
    { ...peerTool('ansible', (n) => runAnsible(ctx.ws, n, COMMAND)), maxRuns: ANSIBLE_RUNS },
    peerTool('ssh-loop', (n) => runSshLoop(ctx.ws, n, COMMAND)),
  ];
}

function firstNegotiated(list: Negotiated[]): Negotiated | undefined {
  return list.find((n) => n.kex);
}

export async function coldFanout(ctx: BenchContext, peers: PeerInfo[], cliSkipped: string | undefined): Promise<ColdResults> {
  // BENCH_TOOLS=engine,ssh2-floor: a quick look at some tools (the others are reported as skipped)
  const chosen = process.env.BENCH_TOOLS?.split(',').map((s) => s.trim());
  const all = tools(ctx, peers, cliSkipped).map((t) =>
    chosen && !chosen.includes(t.tool) && !t.skipped ? { ...t, skipped: 'not in BENCH_TOOLS for this run' } : t,
  );
  const active = all.filter((t) => !t.skipped);
  const kex: KexRecord[] = [];

  // Warm-up (not recorded): JIT for the in-process tools, page cache for the others; the
  // engine's and the floor's ssh2 handshakes are recorded here.
  const warmN = Math.min(10, ctx.bed.hosts.length);
  for (const t of active) {
    const watch = t.tool === 'engine' ? watchHandshakes() : undefined;
    const r = await ctx.measure(() => t.run(warmN));
    watch?.stop();
    if (t.tool === 'engine') {
      const n = firstNegotiated(watch!.negotiated);
      kex.push({ tool: 'engine', ...n, connectionsPerHost: watch!.negotiated.length / warmN, source: "ssh2 'handshake' event" });
      kex.push({ tool: 'engine-cli', kex: n?.kex, cipher: n?.cipher, connectionsPerHost: 1, source: 'same ssh2 code as invoke(), bundled' });
    }
    if (t.tool === 'ssh2-floor') {
      const n = firstNegotiated((r as unknown as { negotiated?: Negotiated[] }).negotiated ?? []);
      kex.push({ tool: 'ssh2-floor', kex: n?.kex, cipher: n?.cipher, connectionsPerHost: 1, source: "ssh2 'handshake' event" });
    }
    ctx.log(`  warm-up ${t.tool} N=${warmN}: ${r.ms.toFixed(0)} ms${r.failures.length ? ` FAILURES ${r.failures[0]}` : ''}`);
  }
  for (const t of active.filter((x) => x.kind === 'peer')) {
    const k = await probeKex(ctx.ws, t.tool);
    kex.push({ tool: t.tool, kex: k.kex, cipher: k.cipher, connectionsPerHost: k.connections, source: 'ssh -v -E log of a probe run on 2 hosts', error: k.error });
  }

  const bySize: Record<number, ToolResult[]> = {};
  for (const n of ctx.options.sizes) {
    const samples = new Map<string, Sample[]>(active.map((t) => [t.tool, []]));
    for (let run = 0; run < ctx.options.runs; run++) {
      // rotate the order each round
      const order = active.map((_, i) => active[(i + run) % active.length]);
      for (const t of order) {
        if (t.maxRuns !== undefined && run >= t.maxRuns && n > 10) continue;
        const s = await ctx.measure(() => t.run(n));
        samples.get(t.tool)!.push(s);
        ctx.log(
          `  cold N=${n} run ${run + 1}/${ctx.options.runs} ${t.tool}: ${s.ms.toFixed(0)} ms (client cpu ${s.clientCpuMs?.toFixed(0)} ms, server cpu ${s.serverCpuMs?.toFixed(0)} ms)` +
            (s.failures.length ? ` FAILURES: ${s.failures[0]}` : ''),
        );
      }
    }
    bySize[n] = all.map((t) =>
      t.skipped
        ? skippedResult({ tool: t.tool, label: t.label, kind: t.kind, n }, t.skipped)
        : toolResult({ tool: t.tool, label: t.label, kind: t.kind, n, note: t.note }, samples.get(t.tool)!, n),
    );
  }
  return { command: COMMAND, throttle: 32, bySize, kex };
}
