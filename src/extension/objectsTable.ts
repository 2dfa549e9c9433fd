import * as vscode from 'vscode';
import type { ResultsStore, RunObject, RunRecord } from './results';
import type { ResultsView } from './resultsView';

// The Objects table of the results view: what Invoke-Command returns as objects tagged with
// PSComputerName, here the object events of a run (PowerShell output objects, POSIX stdout lines
// that are JSON objects) of all its hosts in one grid. The grid itself is drawn by the results
// webview (media/results.js); this file turns objects into columns and cells, and exports them.

export const COMPUTER_COLUMN = 'PSComputerName';
/** The column of objects that are not JSON objects (strings, numbers, arrays). */
const VALUE_COLUMN = 'Value';

/** The columns of a run's objects: PSComputerName, then every property in the order first seen. */
export function objectColumns(rows: readonly RunObject[]): string[] {
  return [...addObjectColumns(new Set([COMPUTER_COLUMN]), rows)];
}

/** Adds the properties of `rows` not seen yet to `seen` (in order), so columns grow as objects stream in. */
export function addObjectColumns(seen: Set<string>, rows: readonly RunObject[]): Set<string> {
  for (const { value } of rows) {
    if (!isRecord(value)) {
      seen.add(VALUE_COLUMN);
      continue;
    }
    for (const key of Object.keys(value)) if (key !== COMPUTER_COLUMN) seen.add(key);
  }
  return seen;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One cell as text: strings as they are, everything else as JSON; missing = empty. */
export function cellText(row: RunObject, column: string): string {
  if (column === COMPUTER_COLUMN) return row.host;
  const v = isRecord(row.value) ? row.value[column] : column === VALUE_COLUMN ? row.value : undefined;
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly RunObject[]): string {
  const columns = objectColumns(rows);
  return [columns, ...rows.map((r) => columns.map((c) => cellText(r, c)))].map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Each object with its PSComputerName, as Invoke-Command gives them. */
export function toJson(rows: readonly RunObject[]): string {
  return JSON.stringify(rows.map((r) => (isRecord(r.value) ? { [COMPUTER_COLUMN]: r.host, ...r.value } : { [COMPUTER_COLUMN]: r.host, [VALUE_COLUMN]: r.value })), null, 2) + '\n';
}

/** Writes a run's objects (the rows shown, by index, when given) as CSV or JSON, to `target` or where the user picks. */
export async function exportObjects(run: RunRecord, format: 'csv' | 'json', shown?: readonly number[], target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const rows = shown ? shown.flatMap((i) => (run.objects[i] ? [run.objects[i]] : [])) : run.objects;
  const uri =
    target ??
    (await vscode.window.showSaveDialog({
      title: `Export objects of ${run.label}`,
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `objects-run${run.id}.${format}`) : undefined,
    }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(format === 'csv' ? toCsv(rows) : toJson(rows)));
  return uri;
}

/**
 * Show Objects (the results view on its Objects tab) and Export Objects… (every object of the run
 * the results view shows, else of the latest run with objects; the tab's own Export buttons
 * export the rows its filter shows, in its order).
 */
export class ObjectsCommands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly store: ResultsStore,
    private readonly resultsView: ResultsView,
  ) {
    this.disposables = [
      vscode.commands.registerCommand('remoteInvoke.showObjects', (id?: number) => this.show(typeof id === 'number' ? id : undefined)),
      vscode.commands.registerCommand('remoteInvoke.exportObjects', (format?: 'csv' | 'json', target?: vscode.Uri) => this.export(format === 'json' ? 'json' : 'csv', target)),
    ];
  }

  private latestWithObjects(): RunRecord | undefined {
    return [...this.store.all()].reverse().find((r) => r.objects.length > 0);
  }

  private async show(id: number | undefined): Promise<void> {
    const run = id !== undefined ? this.store.get(id) : this.latestWithObjects();
    if (!run?.objects.length) {
      void vscode.window.showInformationMessage('Remote Invoke: no run has produced objects yet.');
      return;
    }
    await this.resultsView.show(run.id, false, 'objects');
  }

  private export(format: 'csv' | 'json', target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const inView = this.resultsView.runShown();
    const run = inView?.objects.length ? inView : this.latestWithObjects();
    if (!run) {
      void vscode.window.showInformationMessage('Remote Invoke: no run has produced objects to export.');
      return Promise.resolve(undefined);
    }
    return exportObjects(run, format, undefined, target);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
