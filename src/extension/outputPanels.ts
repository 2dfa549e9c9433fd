import * as vscode from 'vscode';
import type { HostResult } from '../core';
import type { RunRecord } from './results';

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;
/** What is mirrored per host for `transcript()` (the extension's API and tests). */
const TRANSCRIPT_BYTES = 256 * 1024;
/**
 * A run on up to this many hosts makes every host's channel when it starts, so each computer it
 * targets is in the dropdown at once. Past it (a fleet-size run), a channel is made with the host's
 * first output line or when shown: thousands of hosts that never connected would make the
 * dropdown useless.
 */
export const EAGER_CHANNELS_MAX = 500;

interface Panel {
  name: string;
  /** Made when a run targets the host (see EAGER_CHANNELS_MAX), else with its first output line or when shown. */
  channel: vscode.OutputChannel | undefined;
  /** Lines written before the channel exists (header, status line): kept for when it is made. */
  early: string;
  pending: string[];
  pendingBytes: number;
  transcript: string;
  /** The run whose block is being written; another run's lines wait until it ends. */
  owner: number | undefined;
  /** Blocks of later runs, in the order they began, held until the earlier block ends. */
  held: Map<number, { text: string[]; ended: boolean }>;
}

/** Appears in the channel list as "web1 · Remote Invoke": the host first, so the dropdown tells hosts apart. */
export function channelName(host: string): string {
  return `${host} · Remote Invoke`;
}
export const ALL_HOSTS_CHANNEL = 'All hosts · Remote Invoke';

/**
 * One output channel per computer ("web1 · Remote Invoke"), like Invoke-Command's per-computer
 * output, and "All hosts · Remote Invoke" with every line prefixed by its host. In a computer's
 * channel each run is one block — its header, its lines, its status line — even when runs
 * overlap: a later run's block is held back until the earlier one's status line is written.
 * Lines are buffered and appended in batches: with 50 hosts streaming, appending every line
 * would be one message to the UI process per line per host.
 */
export class OutputPanels implements vscode.Disposable {
  private readonly panels = new Map<string, Panel>();
  private allHosts: Panel | undefined;
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
      vscode.commands.registerCommand('remoteInvoke.showAllHostsOutput', () => this.showAll(false)),
    );
  }

  private newPanel(name: string): Panel {
    return { name, channel: undefined, early: '', pending: [], pendingBytes: 0, transcript: '', owner: undefined, held: new Map() };
  }

  private channelOf(p: Panel): vscode.OutputChannel {
    if (!p.channel) {
      p.channel = vscode.window.createOutputChannel(p.name, 'remote-invoke-output');
      if (p.early) p.channel.append(p.early);
      p.early = '';
    }
    return p.channel;
  }

  private panel(host: string): Panel {
    let p = this.panels.get(host);
    if (!p) {
      p = this.newPanel(channelName(host));
      this.panels.set(host, p);
    }
    return p;
  }

  private all(): Panel {
    if (!this.allHosts) {
      this.allHosts = this.newPanel(ALL_HOSTS_CHANNEL);
      this.channelOf(this.allHosts);
    }
    return this.allHosts;
  }

  private put(p: Panel, text: string): void {
    p.pending.push(text);
    p.pendingBytes += text.length;
    if (p.pendingBytes >= FLUSH_BYTES) this.flushPanel(p);
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Into the host's channel: now when `runId`'s block is the open one (or none is), else held back. */
  private write(host: string, text: string, runId?: number): void {
    const p = this.panel(host);
    if (runId === undefined) return this.put(p, text);
    p.owner ??= runId;
    if (p.owner === runId) return this.put(p, text);
    let block = p.held.get(runId);
    if (!block) p.held.set(runId, (block = { text: [], ended: false }));
    block.text.push(text);
  }

  /** The run's block in the host's channel is complete: the next held block (if any) is written. */
  private endBlock(host: string, runId: number): void {
    const p = this.panel(host);
    const held = p.held.get(runId);
    if (held) {
      held.ended = true; // written in one piece when its turn comes
      return;
    }
    if (p.owner !== runId) return;
    p.owner = undefined;
    for (const [next, block] of p.held) {
      p.held.delete(next);
      for (const t of block.text) this.put(p, t);
      if (!block.ended) {
        p.owner = next;
        return;
      }
    }
  }

  append(host: string, line: string, runId?: number): void {
    this.stats.lines++;
    this.channelOf(this.panel(host));
    this.write(host, line + '\n', runId);
    this.put(this.all(), `[${host}] ${line}\n`);
  }

  /** The header every host's block starts with: time, script and arguments. */
  runStarted(run: RunRecord): void {
    const time = run.startedAt.toLocaleTimeString(undefined, { hour12: false });
    const header = `▶ ${time}  ${run.label}  [run ${run.id}, ${run.info.hosts.length} host${run.info.hosts.length === 1 ? '' : 's'}]\n`;
    const eager = run.info.hosts.length <= EAGER_CHANNELS_MAX;
    for (const host of run.info.hosts) {
      if (eager) this.channelOf(this.panel(host));
      this.write(host, header, run.id);
    }
    this.put(this.all(), header);
  }

  /** The block's status line: status, exit code and duration (and why, when it did not complete). */
  hostEnded(result: HostResult, runId?: number): void {
    const parts: string[] = [result.status];
    if (result.exitCode !== null) parts.push(`exit ${result.exitCode}`);
    if (result.signal) parts.push(result.signal);
    parts.push(formatDuration(result.durationMs));
    if (result.error) parts.push(result.error.replace(/\s*\n\s*/g, ' '));
    const line = `■ ${parts.join(' · ')}`;
    this.write(result.host, `${line}${runId === undefined ? '' : `  [run ${runId}]`}\n\n`, runId);
    this.put(this.all(), `[${result.host}] ${line}\n`);
    if (runId !== undefined) this.endBlock(result.host, runId);
  }

  /** A run is over: any block of it still open (a host that never reported) is closed. */
  runFinished(run: RunRecord): void {
    for (const host of run.info.hosts) {
      const p = this.panels.get(host);
      if (p && (p.owner === run.id || p.held.has(run.id))) this.endBlock(host, run.id);
    }
  }

  show(host: string, preserveFocus = true): void {
    this.flush();
    this.channelOf(this.panel(host)).show(preserveFocus);
  }

  showAll(preserveFocus = true): void {
    this.flush();
    this.channelOf(this.all()).show(preserveFocus);
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

  /** The "All hosts" channel's text in this window (the last 256 KB). */
  allHostsTranscript(): string {
    return this.allHosts ? this.allHosts.transcript + this.allHosts.pending.join('') : '';
  }

  /** Hosts that have an output channel. */
  hosts(): string[] {
    return [...this.panels].filter(([, p]) => p.channel).map(([host]) => host);
  }

  /** The names of the channels made, as the Output view's dropdown lists them. */
  channelNames(): string[] {
    return [...this.panels.values(), ...(this.allHosts ? [this.allHosts] : [])].flatMap((p) => (p.channel ? [p.name] : []));
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.panels.values()) this.flushPanel(p);
    if (this.allHosts) this.flushPanel(this.allHosts);
  }

  private flushPanel(p: Panel): void {
    if (!p.pending.length) return;
    const text = p.pending.join('');
    p.pending = [];
    p.pendingBytes = 0;
    if (p.channel) {
      p.channel.append(text);
      this.stats.appends++;
    } else p.early = (p.early + text).slice(-TRANSCRIPT_BYTES);
    p.transcript = (p.transcript + text).slice(-TRANSCRIPT_BYTES);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const p of this.panels.values()) p.channel?.dispose();
    this.allHosts?.channel?.dispose();
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
