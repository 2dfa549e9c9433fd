import * as vscode from 'vscode';
import type { HostResult } from '../core';
import type { RunRecord } from './results';

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;
/** What is mirrored per host for `transcript()` (the extension's API and tests). */
const TRANSCRIPT_BYTES = 256 * 1024;

interface Panel {
  channel: vscode.OutputChannel;
  pending: string[];
  pendingBytes: number;
  transcript: string;
}

/**
 * One output channel per computer ("Remote Invoke: web1"), like Invoke-Command's per-computer
 * output. Lines are buffered and appended in batches: with 50 hosts streaming, appending every
 * line would be one message to the UI process per line per host.
 */
export class OutputPanels implements vscode.Disposable {
  private readonly panels = new Map<string, Panel>();
  private timer: NodeJS.Timeout | undefined;
  /** Lines written and channel appends made (each append is one message to the UI process). */
  readonly stats = { lines: 0, appends: 0 };
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      vscode.commands.registerCommand('remoteInvoke.showOutput', (arg?: unknown) => {
        const host = typeof arg === 'string' ? arg : (arg as { name?: string; host?: string } | undefined)?.name ?? (arg as { host?: string })?.host;
        if (host) this.show(host);
        else void this.pickAndShow();
      }),
    );
  }

  private panel(host: string): Panel {
    let p = this.panels.get(host);
    if (!p) {
      p = { channel: vscode.window.createOutputChannel(`Remote Invoke: ${host}`, 'remote-invoke-output'), pending: [], pendingBytes: 0, transcript: '' };
      this.panels.set(host, p);
    }
    return p;
  }

  private write(host: string, text: string): void {
    const p = this.panel(host);
    p.pending.push(text);
    p.pendingBytes += text.length;
    if (p.pendingBytes >= FLUSH_BYTES) this.flushPanel(p);
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  append(host: string, line: string): void {
    this.stats.lines++;
    this.write(host, line + '\n');
  }

  /** The header every host's panel gets when a run starts: time, script and arguments. */
  runStarted(run: RunRecord): void {
    const time = run.startedAt.toLocaleTimeString(undefined, { hour12: false });
    const header = `▶ ${time}  ${run.label}  [run ${run.id}, ${run.info.hosts.length} host${run.info.hosts.length === 1 ? '' : 's'}]\n`;
    for (const host of run.info.hosts) this.write(host, header);
  }

  /** The footer: status, exit code and duration (and why, when it did not complete). */
  hostEnded(result: HostResult): void {
    const parts: string[] = [result.status];
    if (result.exitCode !== null) parts.push(`exit ${result.exitCode}`);
    if (result.signal) parts.push(result.signal);
    parts.push(formatDuration(result.durationMs));
    if (result.error) parts.push(result.error.replace(/\s*\n\s*/g, ' '));
    this.write(result.host, `■ ${parts.join(' · ')}\n\n`);
  }

  show(host: string, preserveFocus = true): void {
    this.flush();
    this.panel(host).channel.show(preserveFocus);
  }

  private async pickAndShow(): Promise<void> {
    const host = await vscode.window.showQuickPick([...this.panels.keys()], { title: 'Show output of host' });
    if (host) this.show(host, false);
  }

  /** Everything written to a host's panel in this window (the last 256 KB). */
  transcript(host: string): string {
    const p = this.panels.get(host);
    if (!p) return '';
    return p.transcript + p.pending.join('');
  }

  hosts(): string[] {
    return [...this.panels.keys()];
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.panels.values()) this.flushPanel(p);
  }

  private flushPanel(p: Panel): void {
    if (!p.pending.length) return;
    const text = p.pending.join('');
    p.pending = [];
    p.pendingBytes = 0;
    p.channel.append(text);
    this.stats.appends++;
    p.transcript = (p.transcript + text).slice(-TRANSCRIPT_BYTES);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const p of this.panels.values()) p.channel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Whole seconds, as an idle time or a duration known to the second: 45 s, 12 min, 3 h 5 min. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 ? `${h} h ${minutes % 60} min` : `${h} h`;
}
