import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { HostOutputBuffer, type HostResult, type HostStatus, type OutputLine, type OutputStream, type RolloutReport } from '../core';
import { joinCommandLine } from './commandLine';
import type { Settings } from './settings';

export const OUTPUT_SCHEME = 'remote-invoke-output';
/** The language of output documents, panels and diffs (media/output.tmLanguage.json colours it). */
export const OUTPUT_LANGUAGE = 'remote-invoke-output';
const KEPT_RUNS = 20;
/** Finished runs are kept in workspaceState, so the results view is still there after a window reload. */
const SAVED_RUNS_KEY = 'remoteInvoke.finishedRuns';
/**
 * Of each host's output, its first lines and its last bytes are kept across a reload: 64 KB,
 * less when a run has many hosts, so 20 saved runs stay within a few MB of workspace state.
 */
const SAVED_OUTPUT_BYTES = 64 * 1024;
const SAVED_RUN_BYTES = 256 * 1024;
const SAVED_HEAD_LINES = 10;
/** Objects kept per run (the Objects table); past this they are counted, not kept. */
export const MAX_RUN_OBJECTS = 50_000;

/** One object a host's run wrote (a PowerShell output object, a POSIX stdout line that is a JSON object). */
export interface RunObject {
  host: string;
  value: unknown;
}

/** Queued: started, but waiting for an earlier run to end on the host's session. */
export type HostRunState = 'Pending' | 'Queued' | 'Running' | HostStatus;

export class HostRun {
  state: HostRunState = 'Pending';
  result: HostResult | undefined;
  startedAt: number | undefined;
  /** The earlier run this host waits for: runs on one host's session go one after another. */
  queuedBehind: number | undefined;
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
  /** What the targets were, by group where whole groups were chosen: "14 hosts: web (12), db1, db2". */
  targets?: string;
  /** Kept to run the same content again (Run Again on failed hosts). */
  script: Script;
}

export class RunRecord {
  endedAt: Date | undefined;
  /** A rolling run's batches and why it stopped early (set when it ends). */
  rollout: RolloutReport | undefined;
  readonly hosts = new Map<string, HostRun>();
  /** Every host's objects in arrival order, up to MAX_RUN_OBJECTS; `objectsDropped` counts the rest. */
  readonly objects: RunObject[] = [];
  objectsDropped = 0;

  constructor(
    readonly id: number,
    readonly info: RunInfo,
    limit: number,
    readonly startedAt = new Date(),
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

  /** The label with the targets: "deploy.sh on 14 hosts: web (12), db1, db2". */
  get labelWithTargets(): string {
    return this.info.targets ? `${this.label} on ${this.info.targets}` : this.label;
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

  constructor(
    private readonly settings: Settings,
    private readonly memento?: vscode.Memento,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, this);
    for (const saved of memento?.get<SavedRun[]>(SAVED_RUNS_KEY, []) ?? []) this.runs.push(restoreRun(saved, settings.outputLimitBytes));
    this.nextId = Math.max(0, ...this.runs.map((r) => r.id)) + 1;
  }

  begin(info: RunInfo, queues = true): RunRecord {
    const run = new RunRecord(this.nextId++, info, this.settings.outputLimitBytes);
    // A host still busy with an earlier run of this window: this run waits for it on that session.
    if (queues) {
      for (const h of run.hosts.values()) h.queuedBehind = this.busyWith(h.host)?.id;
    }
    this.runs.push(run);
    while (this.runs.length > KEPT_RUNS && !this.runs[0].active) this.runs.shift()!.dispose();
    this.changed.fire(run);
    return run;
  }

  /** The newest active run in which the host has not ended yet. */
  private busyWith(host: string): RunRecord | undefined {
    return this.runs.filter((r) => r.active && r.hosts.get(host) && !r.hosts.get(host)!.result).pop();
  }

  started(run: RunRecord, host: string): void {
    const h = run.host(host);
    const waiting = h.queuedBehind !== undefined && !!this.get(h.queuedBehind)?.hosts.get(host) && !this.get(h.queuedBehind)!.host(host).result;
    if (!waiting) h.queuedBehind = undefined;
    h.state = waiting ? 'Queued' : 'Running';
    h.startedAt = waiting ? undefined : Date.now();
    this.changed.fire(run);
  }

  line(run: RunRecord, host: string, stream: OutputStream, line: string): void {
    run.host(host).output.append(stream, line);
    this.changed.fire(run);
  }

  object(run: RunRecord, host: string, value: unknown): void {
    if (run.objects.length < MAX_RUN_OBJECTS) run.objects.push({ host, value });
    else run.objectsDropped++;
    this.changed.fire(run);
  }

  ended(run: RunRecord, result: HostResult): void {
    const h = run.host(result.host);
    h.result = result;
    h.state = result.status;
    h.queuedBehind = undefined;
    this.changed.fire(run);
    this.docChanged.fire(outputUri(run, result.host));
    // The run queued behind this one on the host's session starts now.
    for (const next of this.runs) {
      const waiting = next.hosts.get(result.host);
      if (!waiting || waiting.queuedBehind !== run.id) continue;
      waiting.queuedBehind = undefined;
      if (waiting.state === 'Queued') {
        waiting.state = 'Running';
        waiting.startedAt = Date.now();
      }
      this.changed.fire(next);
    }
  }

  finish(run: RunRecord): void {
    run.endedAt = new Date();
    for (const h of run.hosts.values()) if (!h.result) h.queuedBehind = undefined;
    this.changed.fire(run);
    void this.memento?.update(SAVED_RUNS_KEY, this.runs.filter((r) => !r.active).map(saveRun));
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

interface SavedHostRun {
  host: string;
  state: HostRunState;
  result?: HostResult;
  startedAt?: number;
  /** [stream, line]: 1 for stderr */
  head: [0 | 1, string][];
  tail: [0 | 1, string][];
  /** lines of the output that were not kept */
  dropped: number;
}

export interface SavedRun {
  id: number;
  startedAt: string;
  endedAt: string;
  info: Omit<RunInfo, 'file' | 'script'> & { file?: string; script: Omit<Script, 'uri'> & { uri?: string } };
  hosts: SavedHostRun[];
}

const packLine = (l: OutputLine): [0 | 1, string] => [l.stream === 'stderr' ? 1 : 0, l.line];

function saveHost(h: HostRun, budget: number): SavedHostRun {
  // Until it spills, the buffer's tail is the whole output.
  const whole = !h.output.spilled && h.output.byteCount <= budget;
  const recent = h.output.tail();
  let first = whole ? 0 : recent.length;
  for (let bytes = 0; first > 0 && bytes < budget; first--) bytes += recent[first - 1].line.length + 1;
  const tail = recent.slice(first).map(packLine);
  // The first lines too (the results table shows them), unless the tail already reaches back to them.
  const head = whole ? [] : h.output.head.slice(0, Math.max(0, Math.min(SAVED_HEAD_LINES, h.output.lineCount - tail.length))).map(packLine);
  return { host: h.host, state: h.state, result: h.result, startedAt: h.startedAt, head, tail, dropped: h.output.lineCount - head.length - tail.length };
}

export function saveRun(run: RunRecord): SavedRun {
  const { file, script, ...info } = run.info;
  return {
    id: run.id,
    startedAt: run.startedAt.toISOString(),
    endedAt: (run.endedAt ?? new Date()).toISOString(),
    info: { ...info, file: file?.toString(), script: { ...script, uri: script.uri?.toString() } },
    hosts: [...run.hosts.values()].map((h) => saveHost(h, Math.max(1024, Math.min(SAVED_OUTPUT_BYTES, SAVED_RUN_BYTES / run.hosts.size)))),
  };
}

export function restoreRun(saved: SavedRun, limit: number): RunRecord {
  const { file, script, ...info } = saved.info;
  const run = new RunRecord(
    saved.id,
    { ...info, file: file ? vscode.Uri.parse(file) : undefined, script: { ...script, uri: script.uri ? vscode.Uri.parse(script.uri) : undefined } },
    limit,
    new Date(saved.startedAt),
  );
  run.endedAt = new Date(saved.endedAt);
  for (const h of saved.hosts) {
    const host = run.hosts.get(h.host);
    if (!host) continue;
    host.state = h.state;
    host.result = h.result;
    host.startedAt = h.startedAt;
    const put = ([stream, line]: [0 | 1, string]) => host.output.append(stream ? 'stderr' : 'stdout', line);
    h.head.forEach(put);
    if (h.dropped > 0) host.output.append('stdout', `… ${h.dropped} lines not kept across the window reload …`);
    h.tail.forEach(put);
  }
  return run;
}
