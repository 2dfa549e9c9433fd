import * as vscode from 'vscode';
import { defaultStateDir, LastRunStore, type HostStatus } from '../core';
import type { ResultsStore } from './results';

export const HOST_URI_SCHEME = 'remote-invoke-host';

/** The resource a host row carries, so the decoration below can colour it. */
export function hostUri(host: string): vscode.Uri {
  return vscode.Uri.from({ scheme: HOST_URI_SCHEME, path: `/${encodeURIComponent(host)}` });
}

function hostOfUri(uri: vscode.Uri): string | undefined {
  return uri.scheme === HOST_URI_SCHEME ? decodeURIComponent(uri.path.slice(1)) : undefined;
}

export interface LastResult {
  status: HostStatus;
  /** When the run that gave it ended. */
  at: number;
  exitCode?: number | null;
  /** 'window': a run of this window (or one saved across a reload); 'record': the shared last-run record (the CLI's too). */
  source: 'window' | 'record';
}

/** Statuses that mean the host was not reached or not let in: coloured as unreachable, not as failed. */
const UNREACHABLE: ReadonlySet<HostStatus> = new Set(['Unreachable', 'AuthFailed', 'HostKeyRejected', 'TimedOut', 'Disconnected']);

/**
 * Each host's last result, from the runs of this window and the last-run record shared with the
 * CLI (LastRunStore, what `@failed` reads), whichever is newer; and the decoration that colours
 * failed and unreachable hosts in the Hosts view.
 */
export class LastResults implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly byHost = new Map<string, LastResult>();
  private readonly changed = new vscode.EventEmitter<string[]>();
  /** Hosts whose last result changed. */
  readonly onDidChange = this.changed.event;
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly store: LastRunStore;

  constructor(
    private readonly results: ResultsStore,
    stateDir = defaultStateDir(),
  ) {
    this.store = new LastRunStore(stateDir);
    this.disposables.push(
      vscode.window.registerFileDecorationProvider(this),
      // Output streams fire this often: results are looked at again at most every 200 ms.
      results.onDidChangeRun(() => this.schedule()),
    );
  }

  // Read on first use, not at activation.
  private loaded = false;

  get(host: string): LastResult | undefined {
    if (!this.loaded) this.update();
    return this.byHost.get(host);
  }

  /** The hosts that did not complete in the last run, from the record `@failed` reads. */
  failedHosts(): string[] {
    return this.store.failedHosts();
  }

  /** Read the shared record again (a CLI run may have written it). */
  refresh(): void {
    this.update();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, 200);
  }

  private update(): void {
    // The first read happens while rows are being drawn: it draws them; nobody needs telling.
    const quiet = !this.loaded;
    this.loaded = true;
    const next = new Map<string, LastResult>();
    for (const run of this.results.all()) {
      for (const h of run.hosts.values()) {
        if (!h.result) continue;
        const at = run.endedAt?.getTime() ?? (h.startedAt ?? run.startedAt.getTime()) + h.result.durationMs;
        next.set(h.host, { status: h.result.status, at, exitCode: h.result.exitCode, source: 'window' });
      }
    }
    const record = this.store.read();
    if (record) {
      const at = Date.parse(record.finishedAt);
      for (const { host, status } of record.hosts) {
        const known = next.get(host);
        // The record is written as a run ends; the window's own result of that run is the same one.
        if (!known || at > known.at + 1000) next.set(host, { status, at, source: 'record' });
      }
    }
    const changed = [...new Set([...next.keys(), ...this.byHost.keys()])].filter((h) => next.get(h)?.status !== this.byHost.get(h)?.status || next.get(h)?.at !== this.byHost.get(h)?.at);
    if (!changed.length) return;
    this.byHost.clear();
    for (const [h, r] of next) this.byHost.set(h, r);
    if (quiet) return;
    this.decorationsChanged.fire(changed.map(hostUri));
    this.changed.fire(changed);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const host = hostOfUri(uri);
    const r = host === undefined ? undefined : this.get(host);
    if (!r || r.status === 'Completed') return undefined;
    if (r.status === 'Failed') return new vscode.FileDecoration('F', `Last run: Failed${r.exitCode != null ? ` (exit ${r.exitCode})` : ''}`, new vscode.ThemeColor('list.errorForeground'));
    if (UNREACHABLE.has(r.status)) return new vscode.FileDecoration('U', `Last run: ${r.status}`, new vscode.ThemeColor('list.warningForeground'));
    return new vscode.FileDecoration(undefined, `Last run: ${r.status}`, new vscode.ThemeColor('disabledForeground'));
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.decorationsChanged.dispose();
  }
}

/** "Completed", "Failed (exit 3)", "never run". */
export function describeLastResult(r: LastResult | undefined): string {
  if (!r) return 'never run';
  return r.status === 'Failed' && r.exitCode != null ? `Failed (exit ${r.exitCode})` : r.status;
}
