// bench/results/wan.md from the WAN bench's results.
import type { WanResults, WanRow } from './inner';

type Full = WanResults & { meta: { date: string; commit: string; durationS?: number; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] } };

const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

function table(rows: WanRow[], key: (r: WanRow) => string, columns: string[]): string {
  const tools = [...new Set(rows.map((r) => r.tool))];
  const head = `| tool | ${columns.join(' | ')} |\n|---|${columns.map(() => '---:').join('|')}|\n`;
  return (
    head +
    tools
      .map((tool) => {
        const cells = columns.map((c) => {
          const r = rows.find((x) => x.tool === tool && key(x) === c);
          return r ? `${s(r.ms)}${r.ok < r.n ? ` (${r.ok}/${r.n} ok)` : ''}` : '';
        });
        return `| ${tool} | ${cells.join(' | ')} |`;
      })
      .join('\n') +
    '\n'
  );
}

function ratio(rows: WanRow[], a: string, b: string, rtt: number, n: number): string {
  const x = rows.find((r) => r.tool === a && r.rttMs === rtt && r.n === n)?.ms;
  const y = rows.find((r) => r.tool === b && r.rttMs === rtt && r.n === n)?.ms;
  return x && y ? `${(y / x).toFixed(1)}x` : '—';
}

export function wanMarkdown(r: Full): string {
  const out: string[] = [];
  out.push('# WAN bench (`npm run bench -- --wan`)\n');
  out.push(
    `${r.meta.date}, commit \`${r.meta.commit.slice(0, 10)}\`, ${r.meta.durationS ?? '?'} s; load average ${r.meta.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')} at the start` +
      `${r.meta.loadAverageAtEnd ? `, ${r.meta.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ')} at the end` : ''}. ` +
      `Medians of ${r.runs} runs (Ansible: 1 run at 10 and 50 hosts). Every sshd and every tool ran inside a network namespace made for the run; ` +
      'its `lo` has MTU 1500 and no TSO/GSO/GRO, and delayd (bench/wan/delayd.c, NFQUEUE at PREROUTING) holds every packet RTT/2. ' +
      `Measured TCP connect per RTT setting: ${Object.entries(r.measuredRtt).map(([k, v]) => `${k} ms → ${v} ms`).join(', ')}. ` +
      'The box is shared (2 cores): read the ratios, not the seconds.\n',
  );
  if (r.scenarios) out.push(`Scenarios that ran: ${r.scenarios.join(', ')}; RTTs ${r.rtts.join(', ')} ms; cold fan-out sizes ${r.sizes.join(', ')}.\n`);
  if (r.notes.length) out.push(`Notes: ${r.notes.join('; ')}\n`);

  if (r.roundTrips.length) {
    out.push('## Round trips on the critical path, one host\n');
    out.push('(t at RTT 100 ms − t at RTT 0) / 100 ms, each a median.\n');
    out.push('| tool | RTT 0 | RTT 100 ms | round trips |\n|---|---:|---:|---:|');
    for (const t of r.roundTrips) out.push(`| ${t.tool} | ${s(t.ms0)} | ${s(t.ms100)} | ${t.roundTrips ?? '—'} |`);
    out.push('');
  }
  const cold = r.rows.filter((x) => x.scenario === 'cold');
  if (cold.length) {
    out.push('## Cold fan-out: `uname -n` on N hosts, new connections\n');
    for (const rtt of r.rtts) {
      const rows = cold.filter((x) => x.rttMs === rtt);
      if (!rows.length) continue;
      out.push(`### RTT ${rtt} ms\n`);
      out.push(table(rows, (x) => `N=${x.n}`, r.sizes.map((n) => `N=${n}`)));
      const big = Math.max(...r.sizes);
      out.push(
        `remote-invoke (default) vs parallel-ssh -p 32 at N=${big}: ${ratio(rows, 'remote-invoke (default)', 'parallel-ssh -p 32', rtt, big)} faster; ` +
          `vs parallel-ssh -p 100: ${ratio(rows, 'remote-invoke (default)', 'parallel-ssh -p 100', rtt, big)}; ` +
          `vs its old default (-t 32): ${ratio(rows, 'remote-invoke (default)', 'remote-invoke -t 32', rtt, big)}.\n`,
      );
    }
  }
  const warm = r.rows.filter((x) => x.scenario === 'warm');
  if (warm.length) {
    out.push('## Warm: a new process runs `uname -n` on hosts whose connections are open\n');
    out.push('remote-invoke through its session holder (`run --session`, a new CLI process each time) against OpenSSH through open ControlMaster sockets (an `ssh` process per host).\n');
    out.push(table(warm, (x) => `RTT ${x.rttMs}, N=${x.n}`, [...new Set(warm.map((x) => `RTT ${x.rttMs}, N=${x.n}`))]));
    const ours = 'remote-invoke run --session (new process, holder)';
    const cm = 'ssh loop via ControlMaster';
    const cells = [...new Set(warm.map((x) => `${x.rttMs}/${x.n}`))].map((k) => {
      const [rtt, n] = k.split('/').map(Number);
      const a = warm.find((x) => x.tool === ours && x.rttMs === rtt && x.n === n)?.ms;
      const b = warm.find((x) => x.tool === cm && x.rttMs === rtt && x.n === n)?.ms;
      return a && b ? `RTT ${rtt}, N=${n}: ${(a / b).toFixed(2)}x ControlMaster's time` : '';
    });
    out.push(`${cells.filter(Boolean).join('; ')} (target: within 1.5x).\n`);
  }
  const lossy = r.rows.filter((x) => x.scenario.startsWith('loss') || x.scenario === 'black holes');
  if (lossy.length) {
    out.push('## Loss and black holes (RTT 20 ms)\n');
    out.push(table(lossy, (x) => x.scenario, [...new Set(lossy.map((x) => x.scenario))]));
    const note = lossy.find((x) => x.scenario === 'black holes')?.note;
    if (note) out.push(`Black holes: ${note}; the figure is the time until every host has ended (the others Completed, the black-holed ones Unreachable).\n`);
  }
  return out.join('\n') + '\n';
}
