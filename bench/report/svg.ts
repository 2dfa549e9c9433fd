// The fan-out chart (bench/results/fanout.svg): median cold fan-out time against N for every
// tool, plus the engine's warm fan-out. Written by hand rather than with a charting library: it
// is ~150 lines, needs no dependency (no canvas/native build, nothing to download), renders on
// GitHub and in VS Code's Markdown preview as-is, and diffs as text from one run to the next.
import type { BenchResults } from './results';

const W = 920;
const H = 500;
const M = { left: 70, right: 330, top: 48, bottom: 56 };
const COLORS: Record<string, string> = {
  engine: '#1565c0',
  'engine-cli': '#42a5f5',
  'ssh2-floor': '#2e7d32',
  pssh: '#ef6c00',
  'pssh-curve25519': '#ffb74d',
  ansible: '#c62828',
  'ssh-loop': '#6a1b9a',
  'engine-warm': '#00838f',
  'ssh-controlmaster-warm': '#8d6e63',
};

const SHORT: Record<string, string> = {
  engine: 'remote-invoke invoke()',
  'engine-cli': 'remote-invoke CLI',
  'ssh2-floor': 'bare ssh2 loop (floor)',
  pssh: 'parallel-ssh (defaults)',
  'pssh-curve25519': 'parallel-ssh, curve25519',
  ansible: 'ansible ad-hoc',
  'ssh-loop': 'ssh -n … & loop',
  'engine-warm': 'remote-invoke, open sessions',
  'ssh-controlmaster-warm': 'ssh via open ControlMaster',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '');
}

function niceTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s >= 10) return `${s.toFixed(0)} s`;
  if (s >= 1) return `${s.toFixed(1).replace(/\.0$/, '')} s`;
  if (s >= 0.1) return `${s.toFixed(1)} s`;
  if (s >= 0.01) return `${s.toFixed(2)} s`;
  return `${(s * 1000).toFixed(0)} ms`;
}

export function fanoutSvg(r: BenchResults): string {
  interface Series {
    id: string;
    label: string;
    points: { n: number; ms: number }[];
    dashed?: boolean;
  }
  const series: Series[] = [];
  const cold = r.scenarios.cold;
  if (cold) {
    const sizes = Object.keys(cold.bySize).map(Number).sort((a, b) => a - b);
    const tools = cold.bySize[sizes[0]].filter((t) => !t.skipped);
    for (const t of tools) {
      const points = sizes
        .map((n) => cold.bySize[n].find((x) => x.tool === t.tool))
        .filter((x) => x && !x.skipped && Number.isFinite(x.time.median))
        .map((x) => ({ n: x!.n!, ms: x!.time.median }));
      series.push({ id: t.tool, label: SHORT[t.tool] ?? t.label, points });
    }
  }
  const warm = r.scenarios.warm;
  if (warm) {
    const sizes = Object.keys(warm.bySize).map(Number).sort((a, b) => a - b);
    for (const [tool, id] of [
      ['engine', 'engine-warm'],
      ['ssh-controlmaster', 'ssh-controlmaster-warm'],
    ] as const) {
      const points = sizes
        .map((n) => warm.bySize[n].find((x) => x.tool === tool))
        .filter((x) => x && !x.skipped && Number.isFinite(x.time.median))
        .map((x) => ({ n: x!.n!, ms: x!.time.median }));
      if (points.length) series.push({ id, label: SHORT[id], points, dashed: true });
    }
  }
  const all = series.flatMap((s) => s.points);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<!-- Hand-written SVG (see bench/report/svg.ts): no charting dependency, renders on GitHub, diffs as text. -->`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="600">Fan-out of uname -n to N loopback sshd hosts, 32 in flight — median, log scale; dashed = warm (open connections)</text>`);
  out.push(`<text x="${M.left}" y="38" fill="#555">${esc(`${r.meta.date.slice(0, 10)} · ${r.meta.cpus} cores · node ${r.meta.node} · ${r.meta.runs} runs each · lower is better`)}</text>`);
  if (!all.length) {
    out.push(`<text x="${M.left}" y="${M.top + 40}">no fan-out results in this run</text></svg>`);
    return out.join('\n');
  }
  const ns = [...new Set(all.map((p) => p.n))].sort((a, b) => a - b);
  const xMax = Math.max(...ns);
  const xMin = 0;
  const yLo = Math.min(...all.map((p) => p.ms)) * 0.7;
  const yHi = Math.max(...all.map((p) => p.ms)) * 1.4;
  const x = (n: number) => M.left + ((n - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (ms: number) => M.top + plotH - ((Math.log10(ms) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plotH;

  // grid and axes
  for (const t of niceTicks(yLo, yHi)) {
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#444">${fmtSeconds(t)}</text>`);
  }
  for (const n of ns) {
    out.push(`<line x1="${x(n).toFixed(1)}" x2="${x(n).toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x(n).toFixed(1)}" y="${M.top + plotH + 18}" text-anchor="middle" fill="#444">${n}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 14}" text-anchor="middle" fill="#222">hosts (N)</text>`);
  out.push(`<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">time to finish on all N hosts</text>`);

  // series
  series.forEach((s, i) => {
    const color = COLORS[s.id] ?? `hsl(${(i * 67) % 360} 60% 40%)`;
    const width = s.id.startsWith('engine') ? 3 : 2;
    const pts = s.points.map((p) => `${x(p.n).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
    if (s.points.length > 1) {
      out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${width}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const p of s.points) {
      out.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="${width + 1}" fill="${color}"><title>${esc(`${s.label}, N=${p.n}: ${fmtSeconds(p.ms)}`)}</title></circle>`);
    }
    // legend
    const ly = M.top + 8 + i * 22;
    const lx = M.left + plotW + 18;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${width}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    const last = s.points[s.points.length - 1];
    const suffix = last ? ` — ${fmtSeconds(last.ms)} at ${last.n}` : '';
    out.push(`<text x="${lx + 30}" y="${ly + 4}" fill="#222">${esc(s.label + suffix)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
