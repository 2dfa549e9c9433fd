import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { outputUri, type HostRun, type ResultsStore, type RunRecord } from './results';

export const RESULTS_VIEW_TYPE = 'remoteInvoke.results';
const UPDATE_MS = 150;
const FIRST_LINES = 4;

/** One row of the results table, as sent to the webview. */
export interface ResultRow {
  host: string;
  state: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  error: string | null;
  firstLines: string[];
  lines: number;
  group: string | null;
}

export interface RunView {
  id: number;
  label: string;
  kind: string;
  startedAt: string;
  active: boolean;
  done: number;
  total: number;
  rows: ResultRow[];
}

/** What the webview reports after drawing (the extension API and the tests read it). */
export interface RenderedState {
  runId: number;
  grouped: boolean;
  rows: { host: string; state: string; exitCode: string; firstLine: string }[];
  groups: { hosts: string[]; label: string }[];
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'open'; host: string }
  | { type: 'panel'; host: string }
  | { type: 'compare'; hosts: string[] }
  | { type: 'cancel' }
  | { type: 'rerun'; hosts: string[] }
  | { type: 'selectRun'; id: number }
  | { type: 'group'; on: boolean }
  | { type: 'rendered'; state: RenderedState };

/**
 * The results of a run in an editor tab: one row per host (status, exit code, duration, first
 * lines), each host's full output one click away as a read-only document, two hosts compared in
 * the diff editor, and hosts with identical output folded into one group.
 */
export class ResultsView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private runId: number | undefined;
  private grouped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRendered: RenderedState | undefined;
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedState>();
  readonly onDidRender = this.renderedEmitter.event;
  private readonly cancelEmitter = new vscode.EventEmitter<number>();
  readonly onDidRequestCancel = this.cancelEmitter.event;
  private readonly rerunEmitter = new vscode.EventEmitter<{ runId: number; hosts: string[] }>();
  readonly onDidRequestRerun = this.rerunEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ResultsStore,
    private readonly showOutputPanel: (host: string) => void,
  ) {
    this.disposables.push(
      store.onDidChangeRun((run) => {
        if (this.panel && run.id === this.runId) this.scheduleUpdate();
      }),
      vscode.commands.registerCommand('remoteInvoke.showResults', (id?: number) => this.show(typeof id === 'number' ? id : undefined, false)),
      vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => this.adopt(panel),
      }),
    );
  }

  /** Opens (or reveals) the results tab on a run; the latest one by default. */
  async show(runId?: number, preserveFocus = true): Promise<void> {
    this.runId = runId ?? this.store.latest()?.id;
    this.lastRendered = undefined;
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
    } else {
      this.adopt(
        vscode.window.createWebviewPanel(
          RESULTS_VIEW_TYPE,
          'Remote Invoke Results',
          { viewColumn: vscode.ViewColumn.Active, preserveFocus },
          { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] },
        ),
      );
    }
    this.scheduleUpdate(0);
  }

  /** Folds hosts with identical output into one row each (the toolbar's toggle). */
  setGrouped(on: boolean): void {
    this.grouped = on;
    this.scheduleUpdate(0);
  }

  /** The last state the webview reported drawing. */
  rendered(): RenderedState | undefined {
    return this.lastRendered;
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = {
      light: vscode.Uri.joinPath(this.extensionUri, 'media', 'results-light.svg'),
      dark: vscode.Uri.joinPath(this.extensionUri, 'media', 'results-dark.svg'),
    };
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] };
    panel.webview.html = this.html(panel.webview);
    panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.lastRendered = undefined;
    });
    this.runId ??= this.store.latest()?.id;
  }

  private async onMessage(m: FromWebview): Promise<void> {
    const run = this.runId !== undefined ? this.store.get(this.runId) : undefined;
    switch (m.type) {
      case 'ready':
        return this.scheduleUpdate(0);
      case 'rendered':
        this.lastRendered = m.state;
        this.renderedEmitter.fire(m.state);
        return;
      case 'selectRun':
        this.runId = m.id;
        return this.scheduleUpdate(0);
      case 'group':
        this.grouped = m.on;
        return this.scheduleUpdate(0);
      case 'panel':
        return this.showOutputPanel(m.host);
      case 'cancel':
        if (run) this.cancelEmitter.fire(run.id);
        return;
      case 'rerun':
        if (run) this.rerunEmitter.fire({ runId: run.id, hosts: m.hosts });
        return;
      case 'open':
        if (run) await this.openOutput(run, m.host);
        return;
      case 'compare':
        if (run) await this.compare(run, m.hosts);
        return;
    }
  }

  async openOutput(run: RunRecord, host: string): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(outputUri(run, host));
    return vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  /** Two hosts' outputs side by side; with one host given, asks for the other. */
  async compare(run: RunRecord, hosts: string[]): Promise<void> {
    let [a, b] = hosts;
    if (!a) return;
    if (!b) {
      b = (
        await vscode.window.showQuickPick(
          [...run.hosts.keys()].filter((h) => h !== a),
          { title: `Compare ${a}'s output with…` },
        )
      )!;
      if (!b) return;
    }
    await vscode.commands.executeCommand('vscode.diff', outputUri(run, a), outputUri(run, b), `${a} ↔ ${b} · ${run.info.title}`, {
      preview: true,
    });
  }

  private scheduleUpdate(delay = UPDATE_MS): void {
    if (this.timer && delay > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.post();
    }, delay);
  }

  private async post(): Promise<void> {
    if (!this.panel) return;
    const run = this.runId !== undefined ? this.store.get(this.runId) : undefined;
    await this.panel.webview.postMessage({
      type: 'state',
      grouped: this.grouped,
      run: run ? toView(run) : null,
      runs: [...this.store.all()].reverse().map((r) => ({ id: r.id, label: `#${r.id} ${r.label}`, active: r.active })),
    });
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const media = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', f));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${media('results.css')}" rel="stylesheet">
<title>Remote Invoke Results</title>
</head>
<body>
<header class="toolbar">
  <select id="run" aria-label="Run"></select>
  <span id="summary" class="summary" role="status"></span>
  <span class="spacer"></span>
  <label class="toggle"><input type="checkbox" id="group"> Group identical output</label>
  <button id="compare" class="secondary" disabled title="Select one or two hosts to compare their output">Compare</button>
  <button id="rerun" class="secondary" disabled title="Run the same script again on the hosts that did not complete">Run Again on Failed</button>
  <button id="cancel" class="secondary" hidden>Cancel</button>
</header>
<main>
  <table id="results" aria-label="Results per host">
    <thead><tr><th class="sel"></th><th>Host</th><th>Status</th><th class="num">Exit</th><th class="num">Duration</th><th>Output</th><th class="actions"></th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="empty" class="empty" hidden>No runs in this window yet. Right-click a script and choose <b>Run File on Hosts…</b></p>
</main>
<script nonce="${nonce}" src="${media('results.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
    this.renderedEmitter.dispose();
    this.cancelEmitter.dispose();
    this.rerunEmitter.dispose();
  }
}

function toRow(h: HostRun): ResultRow {
  const r = h.result;
  return {
    host: h.host,
    state: h.state,
    exitCode: r?.exitCode ?? null,
    signal: r?.signal ?? null,
    durationMs: r ? r.durationMs : h.startedAt ? Date.now() - h.startedAt : null,
    error: r?.error ?? null,
    firstLines: h.firstLines(FIRST_LINES),
    lines: h.output.lineCount,
    group: r ? h.groupKey() : null,
  };
}

function toView(run: RunRecord): RunView {
  return {
    id: run.id,
    label: run.labelWithTargets,
    kind: run.info.kind,
    startedAt: run.startedAt.toLocaleTimeString(undefined, { hour12: false }),
    active: run.active,
    done: run.done,
    total: run.hosts.size,
    rows: [...run.hosts.values()].map(toRow),
  };
}
