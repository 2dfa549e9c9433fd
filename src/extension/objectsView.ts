import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

// The Objects table: what Invoke-Command returns as objects tagged with PSComputerName, here the
// object events of a run (PowerShell output objects, POSIX JSON lines) of all its hosts in one
// grid. Sortable by any column, filterable, exportable as CSV and JSON. A run keeps at most
// MAX_ROWS objects (the panel says when more were dropped), so a flood of objects cannot exhaust
// the extension host.

export const OBJECTS_VIEW_TYPE = 'remoteInvoke.objects';
const MAX_ROWS = 10_000;
const UPDATE_MS = 200;
export const COMPUTER_COLUMN = 'PSComputerName';
/** The column of objects that are not JSON objects (strings, numbers, arrays). */
const VALUE_COLUMN = 'Value';

interface ObjectRow {
  host: string;
  value: unknown;
}

interface RunObjects {
  id: number;
  label: string;
  rows: ObjectRow[];
  dropped: number;
}

/** What the webview reports after drawing (tests and the API read it). */
export interface ObjectsRendered {
  runId: number;
  columns: string[];
  /** The rows as shown (filtered, sorted), cells as text; at most the first 500. */
  rows: string[][];
  total: number;
  shown: number;
  sort: { column: string; descending: boolean } | null;
  filter: string;
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'rendered'; state: ObjectsRendered }
  | { type: 'export'; format: 'csv' | 'json'; rows: number[] };

/** The columns of a run's objects: PSComputerName, then every property in the order first seen. */
export function objectColumns(rows: readonly ObjectRow[]): string[] {
  const seen = new Set<string>();
  for (const { value } of rows) {
    if (!isRecord(value)) {
      seen.add(VALUE_COLUMN);
      continue;
    }
    for (const key of Object.keys(value)) if (key !== COMPUTER_COLUMN) seen.add(key);
  }
  return [COMPUTER_COLUMN, ...seen];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One cell as text: strings as they are, everything else as JSON; missing = empty. */
export function cellText(row: ObjectRow, column: string): string {
  if (column === COMPUTER_COLUMN) return row.host;
  const v = isRecord(row.value) ? row.value[column] : column === VALUE_COLUMN ? row.value : undefined;
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly ObjectRow[]): string {
  const columns = objectColumns(rows);
  return [columns, ...rows.map((r) => columns.map((c) => cellText(r, c)))].map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Each object with its PSComputerName, as Invoke-Command gives them. */
export function toJson(rows: readonly ObjectRow[]): string {
  return JSON.stringify(rows.map((r) => (isRecord(r.value) ? { [COMPUTER_COLUMN]: r.host, ...r.value } : { [COMPUTER_COLUMN]: r.host, [VALUE_COLUMN]: r.value })), null, 2) + '\n';
}

export class ObjectsView implements vscode.Disposable {
  private readonly runs = new Map<number, RunObjects>();
  private panel: vscode.WebviewPanel | undefined;
  private runId: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRendered: ObjectsRendered | undefined;
  private readonly renderedEmitter = new vscode.EventEmitter<ObjectsRendered>();
  readonly onDidRender = this.renderedEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.renderedEmitter,
      vscode.commands.registerCommand('remoteInvoke.showObjects', (id?: number) => this.show(typeof id === 'number' ? id : this.latestId())),
      vscode.commands.registerCommand('remoteInvoke.exportObjects', (format?: 'csv' | 'json', target?: vscode.Uri) =>
        this.export(this.runId ?? this.latestId(), format === 'json' ? 'json' : 'csv', undefined, target),
      ),
    );
  }

  /** An object event of a run: kept (up to MAX_ROWS) and shown; the panel opens with a run's first object. */
  add(runId: number, label: string, host: string, value: unknown): void {
    let run = this.runs.get(runId);
    if (!run) {
      run = { id: runId, label, rows: [], dropped: 0 };
      this.runs.set(runId, run);
      // Only the last few runs' objects are kept.
      for (const id of [...this.runs.keys()].slice(0, -5)) this.runs.delete(id);
      void this.show(runId, true);
    }
    if (run.rows.length < MAX_ROWS) run.rows.push({ host, value });
    else run.dropped++;
    if (this.panel && this.runId === runId) this.scheduleUpdate();
  }

  /** The rows of a run (for the API and tests). */
  rows(runId?: number): ObjectRow[] {
    return [...(this.runs.get(runId ?? this.latestId() ?? -1)?.rows ?? [])];
  }

  rendered(): ObjectsRendered | undefined {
    return this.lastRendered;
  }

  private latestId(): number | undefined {
    return [...this.runs.keys()].pop();
  }

  async show(runId: number | undefined, preserveFocus = false): Promise<void> {
    if (runId === undefined || !this.runs.has(runId)) {
      void vscode.window.showInformationMessage('Remote Invoke: no run has produced objects yet.');
      return;
    }
    this.runId = runId;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(OBJECTS_VIEW_TYPE, 'Objects', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [],
      });
      this.panel.webview.html = this.html(this.panel.webview);
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m), undefined, this.disposables);
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        clearTimeout(this.timer);
      });
    } else this.panel.reveal(undefined, preserveFocus);
    this.update();
  }

  private onMessage(message: FromWebview): void {
    if (message.type === 'ready') this.update();
    else if (message.type === 'rendered') {
      this.lastRendered = message.state;
      this.renderedEmitter.fire(message.state);
    } else if (message.type === 'export' && this.runId !== undefined) void this.export(this.runId, message.format, message.rows);
  }

  /** Writes a run's objects (the rows shown, when given) as CSV or JSON, to `target` or where the user picks. */
  async export(runId: number | undefined, format: 'csv' | 'json', shown?: number[], target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const run = runId !== undefined ? this.runs.get(runId) : undefined;
    if (!run) return undefined;
    const rows = shown ? shown.flatMap((i) => (run.rows[i] ? [run.rows[i]] : [])) : run.rows;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: `Export objects of ${run.label}`,
        filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
        defaultUri: vscode.workspace.workspaceFolders?.[0]
          ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `objects-run${run.id}.${format}`)
          : undefined,
      }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(format === 'csv' ? toCsv(rows) : toJson(rows)));
    return uri;
  }

  private scheduleUpdate(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, UPDATE_MS);
  }

  private update(): void {
    const run = this.runId !== undefined ? this.runs.get(this.runId) : undefined;
    if (!this.panel || !run) return;
    this.panel.title = `Objects — ${run.label}`;
    const columns = objectColumns(run.rows);
    void this.panel.webview.postMessage({
      type: 'objects',
      runId: run.id,
      label: run.label,
      dropped: run.dropped,
      columns,
      rows: run.rows.map((r) => columns.map((c) => cellText(r, c))),
    });
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 8px; }
.bar { display: flex; gap: 6px; align-items: center; margin: 8px 0; position: sticky; top: 0; background: var(--vscode-editor-background); padding: 4px 0; }
input { flex: 1; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 4px 10px; cursor: pointer; }
button:hover { background: var(--vscode-button-secondaryHoverBackground); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--vscode-editorWidget-border, #8884); white-space: pre; max-width: 40em; overflow: hidden; text-overflow: ellipsis; }
th { cursor: pointer; user-select: none; position: sticky; top: 38px; background: var(--vscode-editor-background); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: var(--vscode-descriptionForeground); }
</style></head><body>
<div class="bar"><input id="filter" placeholder="Filter (any column)" aria-label="Filter objects"><span id="count" class="note"></span>
<button id="csv" title="Export the rows shown as CSV">Export CSV</button><button id="json" title="Export the rows shown as JSON">Export JSON</button></div>
<table><thead id="head"></thead><tbody id="body"></tbody></table>
<p id="dropped" class="note"></p>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
let data = { runId: -1, columns: [], rows: [], dropped: 0 };
let sort = null;
const filterBox = document.getElementById('filter');
const isNum = (s) => s !== '' && !isNaN(Number(s));
function shownIndexes() {
  const f = filterBox.value.toLowerCase();
  let idx = data.rows.map((_, i) => i).filter((i) => !f || data.rows[i].some((c) => c.toLowerCase().includes(f)));
  if (sort) {
    const col = data.columns.indexOf(sort.column);
    idx.sort((a, b) => {
      const x = data.rows[a][col], y = data.rows[b][col];
      const r = isNum(x) && isNum(y) ? Number(x) - Number(y) : x.localeCompare(y, undefined, { numeric: true });
      return sort.descending ? -r : r;
    });
  }
  return idx;
}
function render() {
  const head = document.getElementById('head'), body = document.getElementById('body');
  head.textContent = ''; body.textContent = '';
  const tr = document.createElement('tr');
  for (const c of data.columns) {
    const th = document.createElement('th');
    th.textContent = c + (sort && sort.column === c ? (sort.descending ? ' ▼' : ' ▲') : '');
    th.onclick = () => { sort = sort && sort.column === c && !sort.descending ? { column: c, descending: true } : { column: c, descending: false }; render(); };
    tr.appendChild(th);
  }
  head.appendChild(tr);
  const idx = shownIndexes();
  const frag = document.createDocumentFragment();
  for (const i of idx.slice(0, 2000)) {
    const row = document.createElement('tr');
    for (const cell of data.rows[i]) { const td = document.createElement('td'); td.textContent = cell; td.title = cell; if (isNum(cell)) td.className = 'num'; row.appendChild(td); }
    frag.appendChild(row);
  }
  body.appendChild(frag);
  document.getElementById('count').textContent = idx.length === data.rows.length ? data.rows.length + ' objects' : idx.length + ' of ' + data.rows.length + ' objects';
  document.getElementById('dropped').textContent = data.dropped ? data.dropped + ' more objects were not kept (at most 10,000 per run).' : '';
  vscode.postMessage({ type: 'rendered', state: { runId: data.runId, columns: data.columns, rows: idx.slice(0, 500).map((i) => data.rows[i]), total: data.rows.length, shown: idx.length, sort, filter: filterBox.value } });
}
filterBox.oninput = render;
document.getElementById('csv').onclick = () => vscode.postMessage({ type: 'export', format: 'csv', rows: shownIndexes() });
document.getElementById('json').onclick = () => vscode.postMessage({ type: 'export', format: 'json', rows: shownIndexes() });
window.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'objects') { if (m.runId !== data.runId) sort = null; data = m; render(); }
  else if (m.type === 'sort') { sort = m.sort; render(); }
  else if (m.type === 'filter') { filterBox.value = m.filter; render(); }
});
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
  }

  /** Sets the table's sort and filter as a user would (the tests use it). */
  setView(view: { sort?: { column: string; descending: boolean } | null; filter?: string }): void {
    if (!this.panel) return;
    if (view.sort !== undefined) void this.panel.webview.postMessage({ type: 'sort', sort: view.sort });
    if (view.filter !== undefined) void this.panel.webview.postMessage({ type: 'filter', filter: view.filter });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
