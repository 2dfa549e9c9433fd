import * as vscode from 'vscode';
import {
  defaultStateDir,
  HostOutputBuffer,
  jobState,
  JobStore,
  receiveJob,
  refreshJob,
  removeJob,
  startJob,
  stopJob,
  type ConnectionSettings,
  type JobChild,
  type JobRecord,
  type OutputStream,
} from '../core';
import { joinCommandLine } from './commandLine';
import { formatSeconds } from './outputPanels';
import type { Script } from './results';
import type { RunCommands } from './runCommands';
import type { Sessions } from './sessions';
import type { Settings } from './settings';

export const JOB_OUTPUT_SCHEME = 'remote-invoke-job';
/** How often an open job output document asks for new output while the job runs. */
const RECEIVE_POLL_MS = 1000;

/** A job or one of its children, from a tree node, an id, a record or `{ job, host? }`. */
export interface JobRef {
  jobId: string;
  host?: string;
}

/** Receive-Job in a document: a store that never writes, so the view's reading never moves the CLI's received offsets. */
class ReadOnlyJobStore extends JobStore {
  override put(): void {
    /* offsets stay with the document; states are merged into the shared record by Jobs */
  }
}

/** What an open output document of a job has received: its own offsets (Receive-Job -Keep semantics) and lines. */
class JobReceiver {
  readonly offsets = new Map<string, Record<OutputStream, number>>();
  readonly output = new Map<string, HostOutputBuffer>();
  /** Children whose final state has been seen and whose spool has been read after it. */
  readonly drained = new Set<string>();
  readonly uris = new Map<string, vscode.Uri>();
  timer: NodeJS.Timeout | undefined;
  stopped = false;

  constructor(
    readonly jobId: string,
    private readonly limit: number,
  ) {}

  buffer(host: string): HostOutputBuffer {
    let b = this.output.get(host);
    if (!b) {
      b = new HostOutputBuffer({ memoryLimitBytes: this.limit, headLines: 10 });
      this.output.set(host, b);
    }
    return b;
  }

  dispose(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const b of this.output.values()) b.dispose();
  }
}

/**
 * Background jobs (Invoke-Command -AsJob) in VS Code: Run File / Selection as Job, Receive (a
 * read-only document that keeps filling while the job runs), Stop, Remove. Jobs live in the
 * engine's JobStore in the shared state directory — the CLI's too — so jobs started by
 * `remote-invoke run --as-job` show up here, and jobs started here survive VS Code being closed.
 */
export class Jobs implements vscode.Disposable, vscode.TextDocumentContentProvider {
  private store_: JobStore | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** A job record was written by this window. */
  readonly onDidChangeJobs = this.changed.event;
  private readonly docChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.docChanged.event;
  private readonly receivers = new Map<string, JobReceiver>();
  /** Work on one job runs one at a time, so a refresh never writes back a state a Stop just changed. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly settings: Settings,
    private readonly sessions: Sessions,
    private readonly runs: RunCommands,
  ) {
    this.disposables = [
      vscode.workspace.registerTextDocumentContentProvider(JOB_OUTPUT_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => this.onClosed(doc)),
      vscode.commands.registerCommand('remoteInvoke.runFileAsJob', (arg?: unknown, more?: unknown) =>
        this.runs.forFiles(arg, more, 'Start', (script, hosts, args, name) => this.start(script, hosts, args, name)),
      ),
      vscode.commands.registerCommand('remoteInvoke.runSelectionAsJob', (arg?: unknown) =>
        this.runs.forSelection(arg, 'Start', (script, hosts, args, name) => this.start(script, hosts, args, name)),
      ),
      vscode.commands.registerCommand('remoteInvoke.receiveJob', (arg?: unknown) => this.receiveCommand(arg)),
      vscode.commands.registerCommand('remoteInvoke.stopJob', (arg?: unknown, more?: unknown) => this.stopCommand(arg, more)),
      vscode.commands.registerCommand('remoteInvoke.removeJob', (arg?: unknown, more?: unknown) => this.removeCommand(arg, more)),
    ];
  }

  /** Where job records live: `REMOTE_INVOKE_STATE_DIR`, else the user's state folder — the same as the CLI's. */
  get stateDir(): string {
    return defaultStateDir();
  }

  /** Opened on first use: nothing is read at activation. */
  get store(): JobStore {
    this.store_ ??= new JobStore(this.stateDir);
    return this.store_;
  }

  list(): JobRecord[] {
    return this.store
      .keys()
      .map((k) => this.store.get(k))
      .filter((j): j is JobRecord => !!j && Array.isArray(j.children));
  }

  get(id: string): JobRecord | undefined {
    return this.store.get(id);
  }

  private locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(id) ?? Promise.resolve()).then(work, work);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  /** Starts the script on the hosts as a job; resolves once every host has it (or could not start it). */
  async start(script: Script, hosts: string[], args: string[], name?: string): Promise<JobRecord> {
    hosts = [...new Set(hosts)];
    if (!hosts.length) throw new Error('no hosts to run on');
    const job = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Starting ${script.title} as a job on ${hosts.length} host${hosts.length === 1 ? '' : 's'}` },
      () =>
        startJob({
          store: this.store,
          name,
          script: { text: script.text, fileName: script.fileName },
          args,
          // The file's remembered variables ($Using:NAME, environment NAME), as a run gets them.
          vars: this.runs.variablesFor(script),
          hosts,
          settings: this.sessions.connectionSettings(),
          shell: this.settings.defaultShell,
          convertCrlf: this.settings.convertCrlf,
          idleTimeoutSeconds: this.settings.idleTimeoutSeconds,
        }),
    );
    this.changed.fire();
    const failed = job.children.filter((c) => c.state === 'Failed');
    const message = failed.length
      ? `Remote Invoke: ${job.name} could not start on ${failed.map((c) => `${c.host} (${c.error})`).join(', ')}`
      : `Remote Invoke: ${job.name} started on ${hosts.length} host${hosts.length === 1 ? '' : 's'}.`;
    void (failed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(message, 'Receive', 'Show Jobs').then((choice) => {
      if (choice === 'Receive') void this.receive({ jobId: job.id });
      else if (choice === 'Show Jobs') void vscode.commands.executeCommand('remoteInvoke.jobs.focus');
    });
    return job;
  }

  /** Asks the hosts of unfinished children how they are doing (Get-Job). Only kept secrets are used unless `interactive`. */
  async refresh(options: { interactive?: boolean; includeDisconnected?: boolean } = {}): Promise<void> {
    const settings = this.connection(!!options.interactive);
    // A job whose output document is open learns its states from receiving, every second.
    const due = this.list().filter(
      (j) =>
        (options.interactive || !this.receivers.get(j.id)?.timer) &&
        j.children.some((c) => c.state === 'Running' || (options.includeDisconnected && c.state === 'Disconnected')),
    );
    await Promise.all(
      due.map((j) =>
        this.locked(j.id, async () => {
          const fresh = this.store.get(j.id);
          if (fresh) await refreshJob(this.store, fresh, settings);
        }),
      ),
    );
    if (due.length) this.changed.fire();
  }

  private connection(interactive: boolean): ConnectionSettings {
    return interactive ? this.sessions.connectionSettings() : this.sessions.backgroundConnectionSettings();
  }

  /** Stop-Job: kills each running child's remote process group. */
  async stop(jobId: string): Promise<JobRecord> {
    const job = await this.locked(jobId, async () => {
      const fresh = this.mustGet(jobId);
      return stopJob(this.store, fresh, this.sessions.connectionSettings());
    });
    this.changed.fire();
    this.receivers.get(jobId)?.drained.clear();
    this.schedule(jobId, 0);
    return job;
  }

  /** Remove-Job: stops it if needed, deletes its spools on the hosts, forgets it. Resolves to the unreachable hosts. */
  async remove(jobId: string): Promise<string[]> {
    const unreachable = await this.locked(jobId, async () => removeJob(this.store, this.mustGet(jobId), this.sessions.connectionSettings()));
    const receiver = this.receivers.get(jobId);
    receiver?.dispose();
    this.receivers.delete(jobId);
    this.changed.fire();
    if (unreachable.length) {
      void vscode.window.showWarningMessage(
        `Remote Invoke: ${unreachable.join(', ')} could not be reached; the job's files there are removed by its idle timeout.`,
      );
    }
    return unreachable;
  }

  private mustGet(jobId: string): JobRecord {
    const job = this.store.get(jobId);
    if (!job) throw new Error(`no job ${jobId} (it was removed)`);
    return job;
  }

  /**
   * Receive-Job into a read-only document: what the job has produced so far, then new output every
   * second while it runs and the document is open. Reads with its own offsets (like -Keep), so the
   * CLI's `job receive` still gets everything. Resolves to the document's Uri.
   */
  async receive(ref: JobRef, options: { show?: boolean } = {}): Promise<vscode.Uri> {
    const job = this.mustGet(ref.jobId);
    const uri = jobOutputUri(job, ref.host);
    let receiver = this.receivers.get(job.id);
    if (!receiver) {
      // Children that ended while nobody looked: asking their status first gets their real end time.
      if (job.children.some((c) => c.state === 'Running' || c.state === 'Disconnected')) {
        await this.locked(job.id, async () => {
          const fresh = this.store.get(job.id);
          if (fresh) await refreshJob(this.store, fresh, this.connection(true));
        });
        this.changed.fire();
      }
      receiver = new JobReceiver(job.id, this.settings.outputLimitBytes);
      this.receivers.set(job.id, receiver);
    }
    receiver.uris.set(uri.toString(), uri);
    clearTimeout(receiver.timer);
    receiver.timer = undefined;
    await this.poll(receiver, true);
    if (options.show !== false) {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: false });
    }
    this.schedule(job.id, RECEIVE_POLL_MS);
    return uri;
  }

  private schedule(jobId: string, delayMs: number): void {
    const receiver = this.receivers.get(jobId);
    if (!receiver || receiver.stopped || receiver.timer) return;
    const job = this.store.get(jobId);
    if (!job || job.children.every((c) => receiver.drained.has(c.host))) return;
    receiver.timer = setTimeout(async () => {
      try {
        await this.poll(receiver, false);
      } finally {
        receiver.timer = undefined;
        this.schedule(jobId, RECEIVE_POLL_MS);
      }
    }, delayMs);
  }

  /** One Receive-Job round for the children still producing; states learnt go to the shared record. */
  private poll(receiver: JobReceiver, interactive: boolean): Promise<void> {
    return this.locked(receiver.jobId, async () => {
      if (receiver.stopped) return;
      const job = this.store.get(receiver.jobId);
      if (!job) {
        receiver.dispose();
        this.receivers.delete(receiver.jobId);
        return;
      }
      const copy: JobRecord = JSON.parse(JSON.stringify(job));
      const final = (c: JobChild) => c.state !== 'Running' && c.state !== 'Disconnected';
      // A child already final before this round is drained by it.
      const finalBefore = new Set(copy.children.filter(final).map((c) => c.host));
      copy.children = copy.children.filter((c) => c.shell && !receiver.drained.has(c.host));
      for (const c of copy.children) c.received = receiver.offsets.get(c.host) ?? { stdout: 0, stderr: 0 };
      let lines = 0;
      if (copy.children.length) {
        await receiveJob(new ReadOnlyJobStore(this.stateDir), copy, this.connection(interactive), (l) => {
          receiver.buffer(l.host).append(l.stream, l.line);
          lines++;
        });
      }
      for (const c of copy.children) {
        receiver.offsets.set(c.host, c.received);
        if (finalBefore.has(c.host)) receiver.drained.add(c.host);
      }
      for (const c of job.children) if (!c.shell) receiver.drained.add(c.host);
      const statesChanged = this.mergeStates(receiver.jobId, copy.children);
      if (statesChanged) this.changed.fire();
      if (lines || statesChanged || interactive) {
        // Only documents still open: updating one being closed races its disposal in the workbench.
        const open = new Set(vscode.workspace.textDocuments.filter((d) => !d.isClosed).map((d) => d.uri.toString()));
        for (const [key, uri] of receiver.uris) if (open.has(key)) this.docChanged.fire(uri);
      }
    });
  }

  /** States a receive learnt, written to the shared record for children that were still unfinished there. */
  private mergeStates(jobId: string, learnt: JobChild[]): boolean {
    const fresh = this.store.get(jobId);
    if (!fresh) return false;
    let changed = false;
    for (const child of fresh.children) {
      const from = learnt.find((c) => c.host === child.host);
      if (!from || (child.state !== 'Running' && child.state !== 'Disconnected')) continue;
      if (from.state === child.state && from.exitCode === child.exitCode && from.error === child.error) continue;
      Object.assign(child, { state: from.state, exitCode: from.exitCode, finishedAt: from.finishedAt, error: from.error });
      changed = true;
    }
    if (changed) this.store.put(fresh.id, fresh);
    return changed;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const ref = parseJobOutputUri(uri);
    const job = ref && this.store.get(ref.jobId);
    if (!ref || !job) return '(this job was removed)\n';
    const receiver = this.receivers.get(job.id);
    if (!receiver) {
      // Reopened from history: receive again.
      void this.receive(ref, { show: false });
      return '(receiving…)\n';
    }
    receiver.uris.set(uri.toString(), uri);
    const text = (host: string) => receiver.output.get(host)?.text() ?? '';
    if (ref.host) return text(ref.host);
    const args = job.args.length ? ` ${joinCommandLine(job.args)}` : '';
    const parts = [`${job.name} · ${job.command}${args} · ${jobState(job)} · started ${new Date(job.createdAt).toLocaleString(undefined, { hour12: false })}\n`];
    for (const c of job.children) {
      parts.push(`\n── ${c.host} · ${describeChild(c)} ──\n`);
      if (c.error && c.state !== 'Running') parts.push(`(${c.error})\n`);
      parts.push(text(c.host));
    }
    return parts.join('');
  }

  private onClosed(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== JOB_OUTPUT_SCHEME) return;
    const ref = parseJobOutputUri(doc.uri);
    const receiver = ref && this.receivers.get(ref.jobId);
    if (!receiver) return;
    receiver.uris.delete(doc.uri.toString());
    if (receiver.uris.size) return;
    receiver.dispose();
    this.receivers.delete(receiver.jobId);
  }

  /** Jobs whose output documents are open and still receiving (the tests' view of polling). */
  receiving(): string[] {
    return [...this.receivers.values()].filter((r) => r.timer).map((r) => r.jobId);
  }

  private async receiveCommand(arg: unknown): Promise<vscode.Uri | undefined> {
    const ref = jobRefsFrom(arg)[0] ?? (await this.pickJob('Receive output of job'));
    return ref ? this.receive(ref, { show: !(arg && typeof arg === 'object' && (arg as { show?: boolean }).show === false) }) : undefined;
  }

  private async stopCommand(arg: unknown, more: unknown): Promise<JobRecord[]> {
    const refs = jobRefsFrom(arg, more);
    if (!refs.length) {
      const ref = await this.pickJob('Stop job', (j) => jobState(j) === 'Running' || jobState(j) === 'Disconnected');
      if (ref) refs.push(ref);
    }
    return Promise.all(unique(refs).map((id) => this.stop(id)));
  }

  private async removeCommand(arg: unknown, more: unknown): Promise<void> {
    const refs = jobRefsFrom(arg, more);
    if (!refs.length) {
      const ref = await this.pickJob('Remove job');
      if (ref) refs.push(ref);
    }
    await Promise.all(unique(refs).map((id) => this.remove(id)));
  }

  private async pickJob(title: string, filter: (j: JobRecord) => boolean = () => true): Promise<JobRef | undefined> {
    const jobs = this.list().filter(filter);
    if (!jobs.length) {
      void vscode.window.showInformationMessage('Remote Invoke: no jobs.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      jobs.reverse().map((j) => ({ label: j.name, description: `${jobState(j)} · ${j.command}`, detail: j.children.map((c) => `${c.host}: ${c.state}`).join(', '), id: j.id })),
      { title },
    );
    return picked ? { jobId: picked.id } : undefined;
  }

  dispose(): void {
    for (const r of this.receivers.values()) r.dispose();
    this.receivers.clear();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.docChanged.dispose();
  }
}

function unique(refs: JobRef[]): string[] {
  return [...new Set(refs.map((r) => r.jobId))];
}

/**
 * Job references from a command argument: a tree node (`{ jobId, host? }`), a job record
 * (`{ id }`), `{ job }`, an id string, or the (node, selectedNodes) pair tree menus pass.
 */
export function jobRefsFrom(arg: unknown, more?: unknown): JobRef[] {
  if (Array.isArray(more) && more.length) return more.flatMap((m) => jobRefsFrom(m));
  if (typeof arg === 'string' || typeof arg === 'number') return [{ jobId: String(arg) }];
  if (Array.isArray(arg)) return arg.flatMap((a) => jobRefsFrom(a));
  if (arg && typeof arg === 'object') {
    const o = arg as { jobId?: unknown; id?: unknown; job?: unknown; host?: unknown };
    const id = o.jobId ?? o.job ?? (Array.isArray((arg as JobRecord).children) ? o.id : undefined);
    if (typeof id === 'string' || typeof id === 'number') return [{ jobId: String(id), host: typeof o.host === 'string' ? o.host : undefined }];
  }
  return [];
}

/** "Completed · exit 0 · 3 s", "Running · since 12:00:01". */
export function describeChild(c: JobChild): string {
  const parts: string[] = [c.state];
  if (c.exitCode !== null) parts.push(`exit ${c.exitCode}`);
  const started = Date.parse(c.startedAt);
  // The end time may come from the host (to the second, by its clock): whole seconds only.
  if (c.finishedAt) parts.push(formatSeconds(Math.max(0, Math.round((Date.parse(c.finishedAt) - started) / 1000))));
  else parts.push(`since ${new Date(started).toLocaleTimeString(undefined, { hour12: false })}`);
  return parts.join(' · ');
}

/** The read-only document with a job's output (all hosts), or one host's. The tab reads "Job3 · web1". */
export function jobOutputUri(job: JobRecord, host?: string): vscode.Uri {
  const name = `${job.name}${host ? ` · ${host}` : ''}`.replace(/[/\\]/g, '_');
  const query = new URLSearchParams({ job: job.id, ...(host ? { host } : {}) }).toString();
  return vscode.Uri.from({ scheme: JOB_OUTPUT_SCHEME, path: `/${job.id}/${name}`, query });
}

export function parseJobOutputUri(uri: vscode.Uri): JobRef | undefined {
  const params = new URLSearchParams(uri.query);
  const jobId = params.get('job');
  return jobId ? { jobId, host: params.get('host') ?? undefined } : undefined;
}
