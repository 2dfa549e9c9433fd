import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { HostOutputBuffer, type HostResult, type HostStatus, type OutputStream } from '../core';
import { joinCommandLine } from './commandLine';
import type { Settings } from './settings';

export const OUTPUT_SCHEME = 'remote-invoke-output';
const KEPT_RUNS = 20;

export type HostRunState = 'Pending' | 'Running' | HostStatus;

export class HostRun {
  state: HostRunState = 'Pending';
  result: HostResult | undefined;
  startedAt: number | undefined;
  /** Bounded in memory; past the limit the full output goes to a private temp file (the engine's HostOutputBuffer). */
  readonly output: HostOutputBuffer;

  constructor(
    readonly host: string,
    limit: number,
  ) {
    this.output = new HostOutputBuffer({ memoryLimitBytes: limit, headLines: 10 });
  }

  firstLines(n: number): string[] {
    return this.output.head.slice(0, n).map((l) => l.line);
  }

  private key: string | undefined;

  /** Identical status, exit code and output ⇒ same key (grouping in the results view). Fixed once the host ended. */
  groupKey(): string {
    if (this.key) return this.key;
    const key = createHash('sha1')
      .update(`${this.state}\0${this.result?.exitCode ?? ''}\0${this.result?.error ?? ''}\0`)
      .update(this.output.text())
      .digest('hex');
    if (this.result) this.key = key;
    return key;
  }
}

/** A script as it was sent: the content read locally, and the name that picks its interpreter remotely. */
export interface Script {
  text: string;
  fileName: string;
  /** What the user calls it: the file name, or "selection in x.sh". */
  title: string;
  kind: 'file' | 'selection';
  uri?: vscode.Uri;
}

export interface RunInfo {
  title: string;
  kind: 'file' | 'selection';
  file?: vscode.Uri;
  args: string[];
  hosts: string[];
  /** Kept to run the same content again (Run Again on failed hosts). */
  script: Script;
}

export class RunRecord {
  readonly startedAt = new Date();
  endedAt: Date | undefined;
  readonly hosts = new Map<string, HostRun>();

  constructor(
    readonly id: number,
    readonly info: RunInfo,
    limit: number,
  ) {
    for (const h of info.hosts) this.hosts.set(h, new HostRun(h, limit));
  }

  get active(): boolean {
    return !this.endedAt;
  }

  /** Removes the spill files of large outputs. */
  dispose(): void {
    for (const h of this.hosts.values()) h.output.dispose();
  }

  get done(): number {
    return [...this.hosts.values()].filter((h) => h.result).length;
  }

  get label(): string {
    const args = this.info.args.length ? ` ${joinCommandLine(this.info.args)}` : '';
    return `${this.info.title}${args}`;
  }

  host(name: string): HostRun {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`run ${this.id} has no host ${name}`);
    return h;
  }
}

/**
 * The runs of this window and their per-host output. Serves each host's output as a read-only
 * document (`remote-invoke-output:/<run>/<host>.log`), which can be searched, saved, and compared
 * with vscode.diff.
 */
export class ResultsStore implements vscode.Disposable, vscode.TextDocumentContentProvider {
  private readonly runs: RunRecord[] = [];
  private nextId = 1;
  private readonly changed = new vscode.EventEmitter<RunRecord>();
  /** A run began, progressed or ended. Fires often while output streams: listeners throttle. */
  readonly onDidChangeRun = this.changed.event;
  private readonly docChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.docChanged.event;
  private readonly registration: vscode.Disposable;

  constructor(private readonly settings: Settings) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, this);
  }

  begin(info: RunInfo): RunRecord {
    const run = new RunRecord(this.nextId++, info, this.settings.outputLimitBytes);
    this.runs.push(run);
    while (this.runs.length > KEPT_RUNS && !this.runs[0].active) this.runs.shift()!.dispose();
    this.changed.fire(run);
    return run;
  }

  started(run: RunRecord, host: string): void {
    const h = run.host(host);
    h.state = 'Running';
    h.startedAt = Date.now();
    this.changed.fire(run);
  }

  line(run: RunRecord, host: string, stream: OutputStream, line: string): void {
    run.host(host).output.append(stream, line);
    this.changed.fire(run);
  }

  ended(run: RunRecord, result: HostResult): void {
    const h = run.host(result.host);
    h.result = result;
    h.state = result.status;
    this.changed.fire(run);
    this.docChanged.fire(outputUri(run, result.host));
  }

  finish(run: RunRecord): void {
    run.endedAt = new Date();
    this.changed.fire(run);
  }

  get(id: number): RunRecord | undefined {
    return this.runs.find((r) => r.id === id);
  }

  latest(): RunRecord | undefined {
    return this.runs[this.runs.length - 1];
  }

  all(): readonly RunRecord[] {
    return this.runs;
  }

  active(): RunRecord[] {
    return this.runs.filter((r) => r.active);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const parsed = parseOutputUri(uri);
    const run = parsed && this.get(parsed.runId);
    if (!parsed || !run) return '(this run is no longer kept: only the last runs of this window are)\n';
    const h = run.hosts.get(parsed.host);
    return h ? h.output.text() : `(no host ${parsed.host} in this run)\n`;
  }

  dispose(): void {
    for (const run of this.runs) run.dispose();
    this.registration.dispose();
    this.changed.dispose();
    this.docChanged.dispose();
  }
}

/** The read-only document with one host's output of one run. The tab reads "web1 · deploy.sh". */
export function outputUri(run: RunRecord, host: string): vscode.Uri {
  const title = run.info.title.replace(/[/\\]/g, '_');
  return vscode.Uri.from({ scheme: OUTPUT_SCHEME, path: `/${run.id}/${host} · ${title}`, query: `host=${encodeURIComponent(host)}` });
}

function parseOutputUri(uri: vscode.Uri): { runId: number; host: string } | undefined {
  const m = /^\/(\d+)\//.exec(uri.path);
  const host = new URLSearchParams(uri.query).get('host');
  return m && host ? { runId: Number(m[1]), host } : undefined;
}
