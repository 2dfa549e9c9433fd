// bench/results/latest.md: the targets first (pass/miss and by how much), then one table per
// scenario with min/median and the ratio to every peer measured in the same run, then where the
// time goes.
import type { ToolResult } from '../lib/context';
import { fmtBytes, fmtMs, fmtRatio } from '../lib/stats';
import { pwshMarkdown } from '../scenarios/pwsh';
import type { BenchResults } from './results';

function table(header: string[], rows: (string | number | undefined)[][]): string {
  const cell = (v: string | number | undefined) => (v === undefined ? '' : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' '));
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const mark = (pass: boolean | null) => (pass === null ? '— not measured' : pass ? '✅ met' : '❌ missed');

function cpuPerHost(t: ToolResult, n: number, k: 'clientCpuMs' | 'serverCpuMs'): string {
  const v = t[k];
  return v === undefined ? '' : `${(v / n).toFixed(1)} ms`;
}

function fanoutTable(rows: ToolResult[], n: number, withServer: boolean): string {
  const engine = rows.find((t) => t.tool === 'engine' && !t.skipped);
  return table(
    ['tool', 'runs', 'min', 'median', 'vs invoke() (median)', 'vs invoke() (min)', 'client CPU / host', ...(withServer ? ['sshd CPU / host'] : []), 'all hosts answered'],
    rows.map((t) =>
      t.skipped
        ? [t.label, '', 'skipped', '', '', '', '', ...(withServer ? [''] : []), t.skipped]
        : [
            t.label + (t.note ? ` (${t.note})` : ''),
            t.time.runs,
            fmtMs(t.time.min),
            fmtMs(t.time.median),
            engine ? (t.tool === 'engine' ? '1x' : `${fmtRatio(t.time.median / engine.time.median)}`) : '',
            engine ? (t.tool === 'engine' ? '1x' : `${fmtRatio(t.time.min / engine.time.min)}`) : '',
            cpuPerHost(t, n, 'clientCpuMs'),
            ...(withServer ? [cpuPerHost(t, n, 'serverCpuMs')] : []),
            t.complete ? 'yes' : `NO: ${t.failures[0] ?? ''}`,
          ],
    ),
  );
}

export function markdown(r: BenchResults): string {
  const m = r.meta;
  const out: string[] = [];
  out.push('# Benchmarks — latest run');
  out.push('');
  out.push(
    `${m.date} · commit \`${m.commit.slice(0, 10)}\`${m.dirty ? ' (+ uncommitted changes in src/)' : ''} · ${m.cpuModel}, ${m.cpus} cores, ${m.memGiB} GiB · ${m.os} · node ${m.node} · ` +
      `load average ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at end` : ''}` +
      `${m.boxBusyAtStart !== undefined ? ` (CPUs ${(m.boxBusyAtStart * 100).toFixed(0)}% busy just before the start)` : ''} · ${m.runs} runs per figure${m.quick ? ' · **quick mode (BENCH_QUICK=1): smoke numbers, not for comparison**' : ''}` +
      (m.durationS ? ` · took ${(m.durationS / 60).toFixed(1)} min` : ''),
  );
  out.push('');
  out.push(`Hosts: ${m.testBed}. Reproduce with \`npm run bench\` (\`BENCH_RUNS=n\`, \`BENCH_QUICK=1\`; see bench/README.md).`);
  out.push('');
  out.push('Ratios are *peer time / remote-invoke time*: above 1x means remote-invoke is faster. Targets are judged on medians.');
  out.push('');
  out.push('## Targets (issue 5)');
  out.push('');
  out.push(table(['target', 'result', 'by how much', 'measured as'], r.targets.map((t) => [t.target, mark(t.pass), t.margin + (t.note ? ` — ${t.note}` : ''), t.measured])));
  out.push('');
  if (r.errors.length) {
    out.push('**Scenarios that failed to run:**');
    for (const e of r.errors) out.push(`- ${e.scenario}: ${e.error}`);
    out.push('');
  }

  out.push('![Fan-out time against N](fanout.svg)');
  out.push('');

  const cold = r.scenarios.cold;
  if (cold) {
    out.push(`## 1. Cold fan-out: \`${cold.command}\`, ${cold.throttle} in flight, a new connection per host`);
    out.push('');
    for (const [n, rows] of Object.entries(cold.bySize)) {
      out.push(`### N = ${n}`);
      out.push('');
      out.push(fanoutTable(rows, Number(n), true));
      out.push('');
    }
    out.push(
      "Client CPU: this process (in-process tools) or the tool's process tree. sshd CPU: what the hosts' sshd processes and everything under them used, per host (finished processes through their parents, live ones read directly) — " +
        "a process that outlives its connection is not in it (the engine's session shell runs its exit trap after the disconnect, so its share is undercounted; see *Where the time goes* for those commands measured alone). " +
        'Client and hosts share the same 2 cores, so at N=100 CPU, not latency, sets the time.',
    );
    out.push('');
    out.push('### Key exchange negotiated');
    out.push('');
    out.push(
      table(
        ['tool', 'kex', 'cipher', 'ssh connections per host', 'seen in'],
        cold.kex.map((k) => [k.tool, k.kex ?? `? ${k.error ?? ''}`, k.cipher ?? '', k.connectionsPerHost, k.source]),
      ),
    );
    out.push('');
  }

  const warm = r.scenarios.warm;
  if (warm) {
    out.push(`## 2. Warm fan-out: \`${warm.command}\` through connections opened before the clock starts`);
    out.push('');
    for (const [n, rows] of Object.entries(warm.bySize)) {
      out.push(`### N = ${n}`);
      out.push('');
      out.push(fanoutTable(rows, Number(n), true));
      out.push('');
    }
  }

  const rt = r.scenarios.roundTrip;
  if (rt) {
    out.push(`## 3. Round trip on one warm session: \`${rt.command}\` on ${rt.host}, one after another`);
    out.push('');
    const engine = rt.tools.find((t) => t.tool === 'engine');
    out.push(
      table(
        ['tool', 'min', 'median', 'p90', 'p99', 'max', 'runs', 'median vs invoke()'],
        rt.tools.map((t) =>
          t.skipped
            ? [t.label, 'skipped', '', '', '', '', '', t.skipped]
            : [t.label, fmtMs(t.min), fmtMs(t.median), fmtMs(t.p90), fmtMs(t.p99), fmtMs(t.max), t.iterations + (t.failures ? ` (${t.failures} failed)` : ''), engine ? fmtRatio(t.median / engine.median) : ''],
        ),
      ),
    );
    out.push('');
  }

  const tp = r.scenarios.throughput;
  if (tp) {
    out.push(`## 4. Throughput: ${(tp.bytes / 1e6).toFixed(0)} MB of output (\`${tp.command.replace(/x{99}/, 'xxx…(99)')}\`) from one host`);
    out.push('');
    const ssh = tp.tools.find((t) => t.tool === 'ssh' && !t.skipped);
    out.push(
      table(
        ['client', 'min', 'median', 'MB/s (median)', 'MB/s (best)', 'vs ssh (MB/s, median)', 'peak RSS', 'complete'],
        tp.tools.map((t) =>
          t.skipped
            ? [t.label, 'skipped', '', '', '', '', '', t.skipped]
            : [
                t.label + (t.note ? ` (${t.note})` : ''),
                fmtMs(t.time.min),
                fmtMs(t.time.median),
                t.mbPerSecMedian.toFixed(0),
                t.mbPerSecBest.toFixed(0),
                ssh ? fmtRatio(t.mbPerSecMedian / ssh.mbPerSecMedian) : '',
                t.peakRssMiB !== undefined ? `${t.peakRssMiB.toFixed(1)} MiB` : '',
                t.complete ? 'yes' : `NO: ${t.failures[0] ?? ''}`,
              ],
        ),
      ),
    );
    out.push('');
    out.push('Times include connecting (except "on an open session"). Peak RSS: the client process\'s VmHWM.');
    out.push('');
  }

  const mem = r.scenarios.memory;
  if (mem) {
    out.push(`## 5. Memory: ${mem.sessions} open idle sessions (idle ${mem.idleMs / 1000} s)`);
    out.push('');
    out.push(
      table(
        ['client', 'baseline RSS', `RSS with ${mem.sessions} open`, 'per session (median)', 'per session, each run', 'JS heap + external per session'],
        mem.tools.map((t) => [
          t.label + (t.note ? ` (${t.note})` : ''),
          t.baselineRssKb !== undefined ? fmtBytes(t.baselineRssKb * 1024) : '',
          t.totalRssKb !== undefined ? fmtBytes(t.totalRssKb * 1024) : '',
          t.perSessionKb !== undefined ? `${t.perSessionKb.toFixed(0)} KiB` : `NO: ${t.failures[0] ?? ''}`,
          t.perSessionKbRuns.join(', '),
          t.heapPerSessionKb !== undefined ? `${t.heapPerSessionKb.toFixed(0)} KiB` : '',
        ]),
      ),
    );
    out.push('');
  }

  const ext = r.scenarios.extension;
  if (ext) {
    out.push('## 6. Extension: activation and bundle');
    out.push('');
    out.push(table(['bundle', 'size', 'gzip'], ext.bundles.map((b) => [b.build, fmtBytes(b.bytes), fmtBytes(b.gzipBytes)])));
    out.push('');
    out.push(
      table(
        ['bundle', 'load (require) median', 'activate() median', 'total min', 'total median', 'CPU time median', 'commands registered', 'complete'],
        ext.activation.map((a) => [
          a.build,
          fmtMs(a.load.median),
          fmtMs(a.activate.median),
          fmtMs(a.total.min),
          fmtMs(a.total.median),
          a.cpu ? fmtMs(a.cpu.median) : '',
          a.commands,
          a.complete ? 'yes' : `NO: ${a.failures[0] ?? ''}`,
        ]),
      ),
    );
    out.push('');
    if (ext.loadParts?.length) {
      out.push('What the load is made of (same esbuild settings, smaller entry points, each required alone in a fresh node):');
      out.push('');
      out.push(table(['bundle of', 'size', 'load median'], ext.loadParts.map((p) => [p.part, fmtBytes(p.bytes), fmtMs(p.loadMs)])));
      out.push('');
    }
    out.push(
      `A fresh node process per sample loads the bundle with a fake \`vscode\` module (bench/children/fakeVscode.ts) and calls activate(); VS Code's own overhead is not included. CPU time is what load + activate() cost an idle core (the wall time on a busy box waits for a core). ${ext.shippingNote}. ` +
        `API members the fake answered with inert stubs: ${ext.activation[0]?.stubs.map((s) => `\`${s}\``).join(', ') || 'none'}.`,
    );
    out.push('');
  }

  const p = r.scenarios.profile;
  if (p) {
    out.push('## Where the time goes (one cold host at a time, nothing else of ours running)');
    out.push('');
    out.push(
      table(
        ['step', 'median', 'p90', 'share > 30 ms'],
        [
          ['floor: connect + auth', fmtMs(p.floor.connect.median), fmtMs(p.floor.connect.p90), ''],
          ['floor: first exec `uname -n` on the new connection', fmtMs(p.floor.firstExec.median), fmtMs(p.floor.firstExec.p90), pctOf(p.floor.firstExec.over30ms)],
          ['floor: total', fmtMs(p.floor.total.median), fmtMs(p.floor.total.p90), ''],
          ['engine: connect() + auth', fmtMs(p.engine.connect.median), fmtMs(p.engine.connect.p90), ''],
          ['engine: open the session shell + hello', fmtMs(p.engine.openShell.median), fmtMs(p.engine.openShell.p90), pctOf(p.engine.openShell.over30ms)],
          ['engine: run `uname -n` in it', fmtMs(p.engine.run.median), fmtMs(p.engine.run.p90), pctOf(p.engine.run.over30ms)],
          ['engine: close', fmtMs(p.engine.close.median), fmtMs(p.engine.close.p90), ''],
          ['engine: total (HostSession open + run + close)', fmtMs(p.engine.total.median), fmtMs(p.engine.total.p90), ''],
        ],
      ),
    );
    out.push('');
    if (p.hostSide) {
      const extra = p.hostSide.engineMs - p.hostSide.floorMs;
      out.push(
        `What one cold host asks of the host itself, without SSH: the login shell running the floor's exec ` +
          `\`${'${SHELL}'} -c 'uname -n'\` costs ${fmtMs(p.hostSide.floorMs)} of CPU; the engine's session shell command fed its hello and ` +
          `a one-shot run costs ${fmtMs(p.hostSide.engineMs)} (/bin/sh picks the shell, bash starts and reads the framing a byte at a time, ` +
          `forks the command). At N = 100 on 2 shared cores those ${fmtMs(extra)} per host are about ${fmtMs((extra * 100) / 2)} of wall time.`,
      );
      out.push('');
    }
    out.push('What the commands behind a session cost on this box (each loopback host is this machine):');
    out.push('');
    out.push(table(['command', 'per call', 'in a session'], p.remoteCommands.map((c) => [`\`${c.command}\``, fmtMs(c.ms), c.role ?? ''])));
    out.push('');
  }

  out.push('## How each tool was run');
  out.push('');
  for (const peer of r.peers) {
    out.push(`- **${peer.label}**${peer.version ? ` (${peer.version})` : ''}: ${peer.skipped ? `SKIPPED — ${peer.skipped}` : peer.settings}`);
  }
  out.push('- **remote-invoke invoke()**: in the benchmark process, the ssh_config parsed once, `strictHostKeyChecking: yes` against the bed\'s known_hosts, throttle 32; a script run = persistent-shell protocol (exec the session shell, hello, framed run).');
  out.push('- **remote-invoke CLI**: `node bin/remote-invoke.js run -F ssh_config -H h1,h2,… -c \'uname -n\' --json -t 32` — node start-up and bundle load included.');
  out.push('- **bare ssh2 loop**: connect (Nagle off, host key compared), `exec`, read to close, 32 in flight — nothing else.');
  out.push('');
  out.push(...pwshMarkdown(r.scenarios.pwsh));
  return out.join('\n') + '\n';
}

function pctOf(x: number | undefined): string {
  return x === undefined ? '' : `${(x * 100).toFixed(0)}%`;
}
