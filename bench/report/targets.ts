// The targets of issue 5, checked against a run's results: pass or miss, and by how much.
import type { BenchResults } from './results';

export interface TargetCheck {
  id: string;
  scenario: string;
  target: string;
  /** what was compared, in words */
  measured: string;
  value: number | null;
  limit: number;
  op: '>=' | '<=';
  unit: string;
  pass: boolean | null;
  margin: string;
  note?: string;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function fmt(value: number, unit: string): string {
  if (unit === 'x') return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
  if (unit === 'ms') return `${value >= 10 ? value.toFixed(0) : value.toFixed(2)} ms`;
  if (unit === 'MB/s') return `${value.toFixed(0)} MB/s`;
  if (unit === 'MiB') return `${value.toFixed(1)} MiB`;
  if (unit === 'KiB') return `${value.toFixed(0)} KiB`;
  if (unit === 'MB') return `${(value / 1e6).toFixed(2)} MB`;
  return `${value} ${unit}`;
}

function check(base: Omit<TargetCheck, 'pass' | 'margin' | 'value'> & { value: number | null | undefined }): TargetCheck {
  const { value, limit, op, unit } = base;
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { ...base, value: null, pass: null, margin: 'not measured in this run' };
  }
  const pass = op === '>=' ? value >= limit : value <= limit;
  const shownLimit = unit === 'MB' ? `${(limit / 1e6).toFixed(0)} MB` : fmt(limit, unit);
  let margin: string;
  if (op === '>=') {
    margin = pass
      ? `met: ${fmt(value, unit)} vs ≥ ${shownLimit}, ${pct(value / limit - 1)} to spare`
      : `MISSED by ${pct(1 - value / limit)}: ${fmt(value, unit)} vs ≥ ${shownLimit} (needs ${(limit / value).toFixed(2)}x more)`;
  } else {
    margin = pass
      ? `met: ${fmt(value, unit)} vs ≤ ${shownLimit}, ${pct(1 - value / limit)} to spare`
      : `MISSED by ${pct(value / limit - 1)}: ${fmt(value, unit)} vs ≤ ${shownLimit} (${fmt(value - limit, unit)} over)`;
  }
  return { ...base, value, pass, margin };
}

/**
 * When a ratio target asks for less time than the hosts' own work takes (the `host-work` row:
 * the command run in shells on this machine with no SSH), no client can meet it here.
 */
function hostWorkNote(peerMs: number | undefined, hostWorkMs: number | undefined, ratio: number): string | undefined {
  if (peerMs === undefined || hostWorkMs === undefined) return undefined;
  const needed = peerMs / ratio;
  if (hostWorkMs <= needed) return undefined;
  return `out of reach on this box: ${ratio}x means ${fmt(needed, 'ms')}, but the hosts' own work with no SSH at all takes ${fmt(hostWorkMs, 'ms')} (host-work row)`;
}

/** What the session shell alone adds on the hosts at N (profile's host-side measurement), against the floor's time. */
function sessionShellNote(r: BenchResults, n: number | undefined, floorMs: number | undefined): string | undefined {
  const host = r.scenarios.profile?.hostSide;
  if (!host || n === undefined || floorMs === undefined) return undefined;
  const extraWall = ((host.engineMs - host.floorMs) * n) / 2;
  return `the session shell alone costs each host ${fmt(host.engineMs - host.floorMs, 'ms')} more CPU than a bare exec (profile), about ${fmt(extraWall, 'ms')} of wall time at N=${n} on 2 cores, ${pct(extraWall / floorMs)} of the floor's time`;
}

export function checkTargets(r: BenchResults): TargetCheck[] {
  const out: TargetCheck[] = [];
  const cold = r.scenarios.cold;
  const coldN = cold ? Math.max(...Object.keys(cold.bySize).map(Number)) : undefined;
  const coldNote = coldN !== undefined && coldN !== 100 ? `measured at N=${coldN} (the target is for N=100)` : undefined;
  const c = (tool: string) => (coldN !== undefined ? cold!.bySize[coldN].find((t) => t.tool === tool && !t.skipped && t.complete) : undefined);
  const engine = c('engine');
  const ratio = (peer: string) => (engine && c(peer) ? c(peer)!.time.median / engine.time.median : undefined);
  out.push(
    check({ id: 'cold-pssh', scenario: 'cold fan-out', target: 'Cold fan-out, 100 hosts: ≥ 3x faster than parallel-ssh (defaults)', measured: 'median parallel-ssh time / median invoke() time', value: ratio('pssh'), limit: 3, op: '>=', unit: 'x', note: coldNote }),
    check({ id: 'cold-ansible', scenario: 'cold fan-out', target: 'Cold fan-out, 100 hosts: ≥ 10x faster than Ansible', measured: 'median ansible time / median invoke() time', value: ratio('ansible'), limit: 10, op: '>=', unit: 'x', note: coldNote }),
    check({
      id: 'cold-floor',
      scenario: 'cold fan-out',
      target: 'Cold fan-out, 100 hosts: within 1.2x of a bare ssh2 loop',
      measured: 'median invoke() time / median bare ssh2 time',
      value: engine && c('ssh2-floor') ? engine.time.median / c('ssh2-floor')!.time.median : undefined,
      limit: 1.2,
      op: '<=',
      unit: 'x',
      note: [coldNote, sessionShellNote(r, coldN, c('ssh2-floor')?.time.median)].filter(Boolean).join('; ') || undefined,
    }),
  );
  const warm = r.scenarios.warm;
  const warmN = warm ? Math.max(...Object.keys(warm.bySize).map(Number)) : undefined;
  const w = (tool: string) => (warmN !== undefined ? warm!.bySize[warmN].find((t) => t.tool === tool && !t.skipped && t.complete) : undefined);
  const warmNote = warmN !== undefined && warmN !== 100 ? `measured at N=${warmN} (the target is for N=100)` : undefined;
  out.push(
    check({ id: 'warm-time', scenario: 'warm fan-out', target: 'Warm fan-out, 100 hosts: under 150 ms', measured: 'median invoke() time through open sessions', value: w('engine')?.time.median, limit: 150, op: '<=', unit: 'ms', note: warmNote }),
    check({
      id: 'warm-controlmaster',
      scenario: 'warm fan-out',
      target: 'Warm fan-out, 100 hosts: ≥ 10x faster than OpenSSH ControlMaster',
      measured: 'median ControlMaster time / median invoke() time',
      value: w('engine') && w('ssh-controlmaster') ? w('ssh-controlmaster')!.time.median / w('engine')!.time.median : undefined,
      limit: 10,
      op: '>=',
      unit: 'x',
      note: [warmNote, hostWorkNote(w('ssh-controlmaster')?.time.median, w('host-work')?.time.median, 10)].filter(Boolean).join('; ') || undefined,
    }),
  );
  const rt = r.scenarios.roundTrip?.tools.find((t) => t.tool === 'engine');
  out.push(
    check({ id: 'rt-median', scenario: 'round trip', target: 'Warm round trip: median under 1 ms', measured: 'median of invoke() `true` on one open session', value: rt?.median, limit: 1, op: '<=', unit: 'ms' }),
    check({ id: 'rt-p99', scenario: 'round trip', target: 'Warm round trip: p99 under 5 ms', measured: 'p99 of the same', value: rt?.p99, limit: 5, op: '<=', unit: 'ms' }),
  );
  const tp = r.scenarios.throughput;
  const tpe = tp?.tools.find((t) => t.tool === 'engine' && t.complete);
  const tps = tp?.tools.find((t) => t.tool === 'ssh' && t.complete);
  const tpNote = tp && tp.bytes !== 100_000_000 ? `measured with ${tp.bytes / 1e6} MB (the target is for 100 MB)` : undefined;
  out.push(
    check({
      id: 'throughput',
      scenario: 'throughput',
      target: "Throughput: at least OpenSSH's",
      measured: 'invoke() MB/s / `ssh host cmd > /dev/null` MB/s (medians, both on a new connection)',
      value: tpe && tps ? tpe.mbPerSecMedian / tps.mbPerSecMedian : undefined,
      limit: 1,
      op: '>=',
      unit: 'x',
      note: tpNote,
    }),
    check({ id: 'throughput-rss', scenario: 'throughput', target: 'Throughput: peak client RSS under 150 MB for 100 MB of output', measured: 'VmHWM of the invoke() client process', value: tpe?.peakRssMiB, limit: 150, op: '<=', unit: 'MiB', note: tpNote }),
  );
  const mem = r.scenarios.memory;
  const me = mem?.tools.find((t) => t.tool === 'engine' && t.complete);
  out.push(
    check({
      id: 'idle-session',
      scenario: 'memory',
      target: 'Idle session: under 200 KB of client memory each',
      measured: `(RSS with ${mem?.sessions ?? '?'} idle sessions − baseline) / sessions`,
      value: me?.perSessionKb,
      limit: 200,
      op: '<=',
      unit: 'KiB',
      note: mem && mem.sessions !== 100 ? `measured with ${mem.sessions} sessions (the target names 100)` : undefined,
    }),
  );
  const ext = r.scenarios.extension;
  const act = ext?.activation.find((a) => a.build.includes('--minify') && a.complete);
  const bundle = ext?.bundles.find((b) => b.build.includes('--minify'));
  out.push(
    check({ id: 'activation', scenario: 'extension', target: 'Activation under 50 ms', measured: 'median load + activate() of the minified bundle (fake vscode)', value: act?.total.median, limit: 50, op: '<=', unit: 'ms' }),
    check({ id: 'bundle', scenario: 'extension', target: 'Bundled extension under 2 MB', measured: 'dist/extension.js built with --minify', value: bundle?.bytes, limit: 2_000_000, op: '<=', unit: 'MB' }),
  );
  // Issue 9: PowerShell against PowerShell's own remoting over SSH, per size.
  const ps = r.scenarios.pwsh;
  for (const [n, row] of Object.entries(ps?.bySize ?? {})) {
    out.push(
      check({ id: `pwsh-cold-${n}`, scenario: 'pwsh', target: `PowerShell cold (N=${n}): at least 2x faster than Invoke-Command -HostName`, measured: 'Invoke-Command -HostName median / .ps1 run without a session median', value: row.ratios.cold, limit: 2, op: '>=', unit: 'x' }),
      check({ id: `pwsh-warm-${n}`, scenario: 'pwsh', target: `PowerShell warm (N=${n}): at least 3x faster than Invoke-Command -Session`, measured: 'Invoke-Command -Session median / re-run in PowerShell sessions median', value: row.ratios.warm, limit: 3, op: '>=', unit: 'x' }),
      check({ id: `pwsh-floor-${n}`, scenario: 'pwsh', target: `PowerShell warm (N=${n}): within 1.5x of the floor`, measured: 're-run in PowerShell sessions median / N local pwsh started beforehand median', value: row.ratios.warmVsFloor, limit: 1.5, op: '<=', unit: 'x' }),
    );
  }
  if (ps && !ps.skipped) {
    out.push(
      check({
        id: 'pwsh-client-memory',
        scenario: 'pwsh',
        target: 'PowerShell: client memory per open session under 300 KB',
        measured: 'client heap + external bytes with N PowerShell sessions open / N',
        value: ps.clientBytesPerSession === undefined ? undefined : ps.clientBytesPerSession / 1024,
        limit: 300,
        op: '<=',
        unit: 'KiB',
      }),
    );
  }
  return out;
}
