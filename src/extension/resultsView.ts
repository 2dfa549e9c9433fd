import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { addObjectColumns, cellText, COMPUTER_COLUMN, exportObjects } from './objectsTable';
import { OUTPUT_LANGUAGE, outputUri, type HostRun, type ResultsStore, type RunRecord } from './results';

export const RESULTS_VIEW_TYPE = 'remoteInvoke.results';
const UPDATE_MS = 150;
/** An active run's view is refreshed at least this often (the webview also counts on by itself). */
const LIVE_MS = 1000;
/** Lines of an expanded row (the rest is one click away in the output document). */
const EXPANDED_LINES = 10;
/** The toolbar's toggle, the sort and the filter, kept per workspace so they survive a reload. */
const VIEW_STATE_KEY = 'remoteInvoke.resultsView';
/** Below this width (CSS pixels) the results tab has no room for an editor beside it. */
const ROOM_FOR_BESIDE_PX = 1100;
/** Objects sent to the webview per update: a flood of objects arrives in slices, not one huge message. */
const OBJECTS_PER_MESSAGE = 5000;

export type SortKey = 'status' | 'host' | 'exit' | 'duration';
/** The per-host table, or the Objects table (all hosts' objects in one grid). */
export type ResultsTab = 'hosts' | 'objects';
export interface ResultsViewState {
  tab: ResultsTab;
  grouped: boolean;
  sort: { key: SortKey; dir: 'asc' | 'desc' };
  /** Statuses shown; empty = all. */
  filter: string[];
}
const DEFAULT_VIEW: ResultsViewState = { tab: 'hosts', grouped: false, sort: { key: 'status', dir: 'asc' }, filter: [] };

/** One row of the results table, as sent to the webview. */
export interface ResultRow {
  host: string;
  state: string;
  exitCode: number | null;
  signal: string | null;
  /** A running host's time so far (the webview counts on from it). */
  durationMs: number | null;
  /** Waiting for this earlier run to end on the host's session. */
  queuedBehind: number | null;
  error: string | null;
  /** The first line, or the first lines when the row is expanded; s: 1 = stderr. */
  lines: { s: 0 | 1; t: string }[];
  lineCount: number;
  group: string | null;
  /** A rolling run's batch of this host (1-based). */
  batch: number | null;
}

export interface RunView {
  id: number;
  label: string;
  kind: string;
  startedAt: string;
  active: boolean;
  /** Since the run began (to its end, once ended). */
  elapsedMs: number;
  done: number;
  total: number;
  rows: ResultRow[];
}

/** What the webview reports after drawing (the extension API and the tests read it). */
export interface RenderedState {
  runId: number;
  grouped: boolean;
  sort: ResultsViewState['sort'];
  filter: string[];
  /** Hosts per status, and as the filter bar reads them ("Failed 3 · Unreachable 2 · Completed 37"). */
  counts: Record<string, number>;
  countsText: string;
  summary: string;
  /** The rows the view shows, in its order (filtered and sorted), drawn or scrolled to. */
  rows: { host: string; state: string; exitCode: string; firstLine: string; durationMs: number | null; queuedBehind: number | null }[];
  groups: { hosts: string[]; label: string }[];
  /** Row elements in the DOM: the rows in sight and a margin, not all of them. */
  domRows: number;
  /** Sorting, filtering, layout and drawing of this update, in the webview. */
  renderMs: number;
  total: number;
  /** The webview's width in CSS pixels: is there room for an editor beside it? */
  width: number;
}

/** What the Objects tab last drew (the extension API and the tests read it). */
export interface ObjectsRendered {
  runId: number;
  columns: string[];
  /** The rows as shown (filtered, sorted), cells as text; at most the first 500. */
  rows: string[][];
  total: number;
  shown: number;
  sort: ObjectsSort | null;
  filter: string;
  /** Row elements in the DOM (the grid is virtualised). */
  domRows: number;
  /** Objects the run wrote past what a run keeps. */
  dropped: number;
  /** Whether the Objects tab is the one showing. */
  visible: boolean;
}
export interface ObjectsSort {
  column: string;
  descending: boolean;
}

/** A slice of a run's objects for the webview: cells of the rows after `from`, against every column so far. */
interface ObjectsUpdate {
  runId: number;
  /** The webview replaces what it has when this is 0, else appends. */
  from: number;
  columns: string[];
  rows: string[][];
  total: number;
  dropped: number;
}

/** What scrolling the whole list a page at a time cost in the webview. */
export interface ScrollMeasurement {
  frames: number;
  maxFrameMs: number;
  /** 95% of the scroll steps drew within this. */
  p95FrameMs: number;
  meanFrameMs: number;
  domRows: number;
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'open'; host: string; width?: number }
  | { type: 'panel'; host: string }
  | { type: 'compare'; hosts: string[]; width?: number }
  | { type: 'cancel' }
  | { type: 'rerun'; hosts: string[] }
  | { type: 'selectRun'; id: number }
  | { type: 'view'; view: ResultsViewState; seq: number }
  | { type: 'expand'; hosts: string[]; seq: number }
  | { type: 'rendered'; state: RenderedState }
  | { type: 'objectsRendered'; state: ObjectsRendered }
  | { type: 'exportObjects'; format: 'csv' | 'json'; rows: number[] }
  | { type: 'objectsResync' }
  | { type: 'scrollMeasured'; result: ScrollMeasurement };

/**
 * The results of a run in an editor tab: one row per host (status, exit code, duration, first
 * lines), each host's full output one click away as a read-only document, two hosts compared in
 * the diff editor, and hosts with identical output folded into one group.
 */
export class ResultsView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private runId: number | undefined;
  private view: ResultsViewState;
  /** The last of the webview's own changes (view, expanded rows) taken in here: see changeSeq in results.js. */
  private changeSeq = 0;
  private expanded = new Set<string>();
  /** The webview's width when it last asked to open something: is there room beside it? */
  private width = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private lastRendered: RenderedState | undefined;
  private lastObjects: ObjectsRendered | undefined;
  /** How many of which run's objects the webview has, and their columns so far. */
  private objectsSent: { runId: number; count: number; columns: Set<string> } | undefined;
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedState>();
  readonly onDidRender = this.renderedEmitter.event;
  private readonly cancelEmitter = new vscode.EventEmitter<number>();
  readonly onDidRequestCancel = this.cancelEmitter.event;
  private readonly rerunEmitter = new vscode.EventEmitter<{ runId: number; hosts: string[] }>();
  readonly onDidRequestRerun = this.rerunEmitter.event;
  private readonly scrollEmitter = new vscode.EventEmitter<ScrollMeasurement>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ResultsStore,
    private readonly showOutputPanel: (host: string) => void,
    private readonly memento?: vscode.Memento,
  ) {
    this.view = { ...DEFAULT_VIEW, ...memento?.get<Partial<ResultsViewState>>(VIEW_STATE_KEY) };
    // Runs kept from before a reload count: Show Results' key works at once.
    void vscode.commands.executeCommand('setContext', 'remoteInvoke.hasRuns', store.all().length > 0);
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

  /** Opens (or reveals) the results tab on a run (the latest one by default), on the given tab. */
  async show(runId?: number, preserveFocus = true, tab?: ResultsTab): Promise<void> {
    this.runId = runId ?? this.store.latest()?.id;
    this.lastRendered = undefined;
    if (tab && tab !== this.view.tab) this.setView({ tab });
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
    this.setView({ grouped: on });
  }

  /** Sort, filter and grouping, as if chosen in the view; kept in the workspace's state. */
  setView(change: Partial<ResultsViewState>): void {
    this.view = { ...this.view, ...change };
    void this.memento?.update(VIEW_STATE_KEY, this.view);
    this.scheduleUpdate(0);
  }

  viewState(): ResultsViewState {
    return this.view;
  }

  /** Expands rows (more output lines) as a click on them does. */
  setExpanded(hosts: string[]): void {
    this.expanded = new Set(hosts);
    this.scheduleUpdate(0);
  }

  /** Has the webview scroll the whole list a page at a time, and says how long the slowest frame took. */
  measureScroll(): Promise<ScrollMeasurement> {
    if (!this.panel) return Promise.reject(new Error('the results view is not open'));
    return new Promise((resolve) => {
      const sub = this.scrollEmitter.event((m) => {
        sub.dispose();
        resolve(m);
      });
      void this.panel!.webview.postMessage({ type: 'measureScroll' });
    });
  }

  /** Whether the results tab is visible and its window focused (else a finished run is announced). */
  get inSight(): boolean {
    return !!this.panel?.visible && vscode.window.state.focused;
  }

  /** The last state the webview reported drawing. */
  rendered(): RenderedState | undefined {
    return this.lastRendered;
  }

  /** What the Objects tab last reported drawing. */
  objectsRendered(): ObjectsRendered | undefined {
    return this.lastObjects;
  }

  /** The run the view shows. */
  runShown(): RunRecord | undefined {
    return this.runId !== undefined ? this.store.get(this.runId) : undefined;
  }

  /** Sorts and filters the Objects table as a user would, on its tab. */
  setObjectsView(change: { sort?: ObjectsSort | null; filter?: string }): void {
    if (this.view.tab !== 'objects') this.setView({ tab: 'objects' });
    void this.panel?.webview.postMessage({ type: 'setObjectsView', change });
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
      this.lastObjects = undefined;
      this.objectsSent = undefined;
    });
    this.runId ??= this.store.latest()?.id;
  }

  private async onMessage(m: FromWebview): Promise<void> {
    const run = this.runId !== undefined ? this.store.get(this.runId) : undefined;
    switch (m.type) {
      case 'ready':
        this.objectsSent = undefined;
        return this.scheduleUpdate(0);
      case 'objectsResync':
        this.objectsSent = undefined;
        return this.scheduleUpdate(0);
      case 'objectsRendered':
        this.lastObjects = m.state;
        return;
      case 'exportObjects':
        if (run) await exportObjects(run, m.format, m.rows);
        return;
      case 'rendered':
        this.width = m.state.width;
        this.lastRendered = m.state;
        this.renderedEmitter.fire(m.state);
        return;
      case 'scrollMeasured':
        this.scrollEmitter.fire(m.result);
        return;
      case 'selectRun':
        this.runId = m.id;
        this.expanded.clear();
        this.lastObjects = undefined;
        return this.scheduleUpdate(0);
      case 'view':
        this.view = m.view;
        this.changeSeq = m.seq;
        void this.memento?.update(VIEW_STATE_KEY, this.view);
        return;
      case 'expand':
        this.expanded = new Set(m.hosts);
        this.changeSeq = m.seq;
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
        if (m.width) this.width = m.width;
        if (run) await this.openOutput(run, m.host);
        return;
      case 'compare':
        if (m.width) this.width = m.width;
        if (run) await this.compare(run, m.hosts);
        return;
    }
  }

  async openOutput(run: RunRecord, host: string): Promise<vscode.TextEditor> {
    const doc = await outputDocument(run, host);
    return vscode.window.showTextDocument(doc, { preview: true, viewColumn: this.targetColumn() });
  }

  /**
   * Beside the results only when the results tab is wide enough to be halved (or another group
   * is already open beside it); otherwise in the same group, so the table keeps its columns.
   */
  targetColumn(): vscode.ViewColumn {
    const groups = vscode.window.tabGroups.all.length;
    return groups > 1 || this.width >= ROOM_FOR_BESIDE_PX ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
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
    // Opened first with the output's language, so the diff is coloured by stream and status.
    await Promise.all([outputDocument(run, a), outputDocument(run, b)]);
    await vscode.commands.executeCommand('vscode.diff', outputUri(run, a), outputUri(run, b), `${a} ↔ ${b} · ${run.info.title}`, {
      preview: true,
      viewColumn: this.targetColumn(),
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
    // While the run shown is active, durations and the elapsed time move on without any event.
    if (run?.active) {
      clearTimeout(this.liveTimer);
      this.liveTimer = setTimeout(() => this.scheduleUpdate(0), LIVE_MS);
    }
    const objects = run ? this.objectsUpdate(run) : null;
    // More objects than one message carries: the next slice follows at once.
    if (run && objects && objects.from + objects.rows.length < run.objects.length) this.scheduleUpdate(0);
    await this.panel.webview.postMessage({
      type: 'state',
      view: this.view,
      changeSeq: this.changeSeq,
      expanded: [...this.expanded],
      run: run ? toView(run, this.expanded) : null,
      objects,
      runs: [...this.store.all()].reverse().map((r) => ({ id: r.id, label: `#${r.id} ${r.label}`, active: r.active })),
    });
  }

  /** The run's objects the webview does not have yet (all of them for another run or a new webview). */
  private objectsUpdate(run: RunRecord): ObjectsUpdate {
    if (this.objectsSent?.runId !== run.id) this.objectsSent = { runId: run.id, count: 0, columns: new Set([COMPUTER_COLUMN]) };
    const sent = this.objectsSent;
    const from = sent.count;
    const slice = run.objects.slice(from, from + OBJECTS_PER_MESSAGE);
    addObjectColumns(sent.columns, slice);
    const columns = [...sent.columns];
    sent.count += slice.length;
    return { runId: run.id, from, columns, rows: slice.map((o) => columns.map((c) => cellText(o, c))), total: run.objects.length, dropped: run.objectsDropped };
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
  <label class="toggle"><input type="checkbox" id="group"> Group identical output</label>
  <button id="compare" class="secondary" disabled title="Select one or two hosts to compare their output">Compare</button>
  <button id="rerun" class="secondary" disabled title="Run the same script again on the hosts that did not complete">Run Again on Failed</button>
  <button id="cancel" class="secondary" hidden>Cancel</button>
</header>
<nav id="tabs" class="tabs" role="tablist" hidden>
  <button id="tab-hosts" role="tab" data-tab="hosts">Hosts</button>
  <button id="tab-objects" role="tab" data-tab="objects" title="The objects of all hosts in one grid, with PSComputerName">Objects <span id="objects-count" class="badge"></span></button>
</nav>
<nav id="filters" class="filters" aria-label="Filter by status"></nav>
<section id="table" role="table" aria-label="Results per host">
  <div class="head grid" role="row">
    <span></span><span></span>
    <span data-sort="host" role="columnheader">Host<span class="arrow"></span></span>
    <span data-sort="status" role="columnheader">Status<span class="arrow"></span></span>
    <span data-sort="exit" role="columnheader" class="num">Exit<span class="arrow"></span></span>
    <span data-sort="duration" role="columnheader" class="num">Duration<span class="arrow"></span></span>
    <span role="columnheader">Output</span><span></span>
  </div>
  <div id="scroller"><div id="spacer"></div></div>
</section>
<section id="objects" class="objects" role="tabpanel" aria-label="Objects of all hosts" hidden>
  <div class="objects-bar">
    <input id="objects-filter" type="search" placeholder="Filter objects (text in any column)" aria-label="Filter objects">
    <span id="objects-shown" class="note" role="status"></span>
    <button id="export-csv" class="secondary" title="Export the objects shown as CSV">Export CSV</button>
    <button id="export-json" class="secondary" title="Export the objects shown as JSON">Export JSON</button>
  </div>
  <div id="ohead" class="orow ohead" role="row"></div>
  <div id="oscroller"><div id="ospacer"></div></div>
  <p id="objects-dropped" class="note" hidden></p>
</section>
<p id="empty" class="empty" hidden>No runs in this window yet. Right-click a script and choose <b>Run File on Hosts…</b></p>
<script nonce="${nonce}" src="${media('results.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.liveTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
    this.renderedEmitter.dispose();
    this.cancelEmitter.dispose();
    this.rerunEmitter.dispose();
    this.scrollEmitter.dispose();
  }
}

/** A host's output of a run as a document in the output's own language (coloured by stream and status). */
export async function outputDocument(run: RunRecord, host: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(outputUri(run, host));
  return doc.languageId === OUTPUT_LANGUAGE ? doc : vscode.languages.setTextDocumentLanguage(doc, OUTPUT_LANGUAGE);
}

function toRow(h: HostRun, expanded: boolean): ResultRow {
  const r = h.result;
  return {
    host: h.host,
    state: h.state,
    exitCode: r?.exitCode ?? null,
    signal: r?.signal ?? null,
    durationMs: r ? r.durationMs : h.startedAt ? Date.now() - h.startedAt : null,
    queuedBehind: h.queuedBehind ?? null,
    error: r?.error ?? null,
    lines: h.output.head.slice(0, expanded ? EXPANDED_LINES : 1).map((l) => ({ s: l.stream === 'stderr' ? 1 : 0, t: l.line })),
    lineCount: h.output.lineCount,
    group: r ? h.groupKey() : null,
    batch: r?.batch ?? null,
  };
}

function toView(run: RunRecord, expanded: ReadonlySet<string>): RunView {
  return {
    id: run.id,
    // A rolling run that stopped on its failure budget says why, beside its title.
    label: run.rollout?.stoppedBy === 'max-failures' ? `${run.labelWithTargets} — stopped: ${run.rollout.stopReason}` : run.labelWithTargets,
    kind: run.info.kind,
    startedAt: run.startedAt.toLocaleTimeString(undefined, { hour12: false }),
    active: run.active,
    elapsedMs: (run.endedAt ?? new Date()).getTime() - run.startedAt.getTime(),
    done: run.done,
    total: run.hosts.size,
    rows: [...run.hosts.values()].map((h) => toRow(h, expanded.has(h.host))),
  };
}
