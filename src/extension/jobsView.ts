import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { jobState, type JobChild, type JobRecord, type JobState } from '../core';
import { joinCommandLine } from './commandLine';
import { describeChild, type JobRef, type Jobs } from './jobs';

export const JOBS_VIEW_ID = 'remoteInvoke.jobs';
/** While the view is visible and a job runs, its state is asked for this often (at most)… */
const REFRESH_MS = 2000;
/** …and never more than a fifth of the time: a job on many hosts costs a connection to each per round. */
const REFRESH_DUTY = 5;

/** A job (`host` absent) or one host's child job; also what the view's menus pass to commands. */
export interface JobNode extends JobRef {
  readonly jobId: string;
  readonly host?: string;
}

export interface JobSnapshot {
  id: string;
  name: string;
  state: JobState;
  description: string;
  contextValue: string;
  children: { host: string; state: JobState; exitCode: number | null; description: string; contextValue: string; error: string | null }[];
}

const ICONS: Record<JobState, vscode.ThemeIcon> = {
  Running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  Completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  Failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  Stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.orange')),
  Disconnected: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow')),
};

const time = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour12: false });

/**
 * The Jobs view (Get-Job): every job in the shared state directory — started here, by an earlier
 * window, or by the CLI — with one child per host. The directory is watched, so new jobs appear
 * at once; the running ones are asked for their state every two seconds, but only while the view
 * is visible.
 */
export class JobsView implements vscode.TreeDataProvider<JobNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<JobNode>;
  private readonly jobNodes = new Map<string, JobNode>();
  private readonly childNodes = new Map<string, JobNode>();
  private records = new Map<string, JobRecord>();
  private watcher: fs.FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private lastRefreshMs = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly jobs: Jobs) {
    this.view = vscode.window.createTreeView(JOBS_VIEW_ID, { treeDataProvider: this, canSelectMany: true, showCollapseAll: true });
    this.disposables.push(
      this.view,
      jobs.onDidChangeJobs(() => this.refresh()),
      this.view.onDidChangeVisibility(() => this.schedule()),
      vscode.commands.registerCommand('remoteInvoke.refreshJobs', async () => {
        await this.jobs.refresh({ interactive: true, includeDisconnected: true });
        this.refresh();
      }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Watches the jobs folder (made on first use) so jobs another process starts or removes show at once. */
  private watch(): void {
    if (this.watcher) return;
    const dir = path.join(this.jobs.stateDir, 'jobs');
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.watcher = fs.watch(dir, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.refresh(), 200);
      });
      this.watcher.on('error', () => undefined);
    } catch {
      /* no watching: Refresh still works */
    }
  }

  /** Polls while visible and something runs; stops otherwise. */
  private schedule(): void {
    const running = [...this.records.values()].some((j) => j.children.some((c) => c.state === 'Running'));
    if (!this.view.visible || !running) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    this.timer ??= setTimeout(async () => {
      if (!this.refreshing) {
        this.refreshing = true;
        const started = Date.now();
        try {
          await this.jobs.refresh();
        } catch {
          /* shown as Disconnected by the engine */
        } finally {
          this.refreshing = false;
          this.lastRefreshMs = Date.now() - started;
        }
      }
      this.timer = undefined;
      this.refresh();
    }, Math.max(REFRESH_MS, REFRESH_DUTY * this.lastRefreshMs));
  }

  getChildren(element?: JobNode): JobNode[] {
    if (element?.host !== undefined) return [];
    if (element) {
      const job = this.records.get(element.jobId);
      return (job?.children ?? []).map((c) => this.childNode(job as JobRecord, c));
    }
    this.watch();
    const jobs = this.jobs.list().sort((a, b) => Number(b.id) - Number(a.id) || b.id.localeCompare(a.id));
    this.records = new Map(jobs.map((j) => [j.id, j]));
    for (const id of [...this.jobNodes.keys()]) if (!this.records.has(id)) this.jobNodes.delete(id);
    this.schedule();
    return jobs.map((j) => {
      let node = this.jobNodes.get(j.id);
      if (!node) this.jobNodes.set(j.id, (node = { jobId: j.id }));
      return node;
    });
  }

  private childNode(job: JobRecord, child: JobChild): JobNode {
    const key = `${job.id}\0${child.host}`;
    let node = this.childNodes.get(key);
    if (!node) this.childNodes.set(key, (node = { jobId: job.id, host: child.host }));
    return node;
  }

  getParent(node: JobNode): JobNode | undefined {
    return node.host === undefined ? undefined : this.jobNodes.get(node.jobId);
  }

  getTreeItem(node: JobNode): vscode.TreeItem {
    const job = this.records.get(node.jobId) ?? this.jobs.get(node.jobId);
    if (!job) return new vscode.TreeItem('(removed)');
    return node.host === undefined ? this.jobItem(job) : this.childItem(job, job.children.find((c) => c.host === node.host));
  }

  private jobItem(job: JobRecord): vscode.TreeItem {
    const state = jobState(job);
    const item = new vscode.TreeItem(job.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `job:${job.id}`;
    item.iconPath = ICONS[state];
    item.description = `${state} · ${job.command} · ${time(job.createdAt)}`;
    item.contextValue = `job.${state.toLowerCase()}`;
    const args = job.args.length ? ` ${joinCommandLine(job.args)}` : '';
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${job.name}** (id ${job.id}) — ${state}\n\n`);
    tip.appendMarkdown(`\`${job.command}${args}\`\n\n`);
    tip.appendMarkdown(`Started ${new Date(job.createdAt).toLocaleString()} on ${job.children.length} host${job.children.length === 1 ? '' : 's'}.\n\n`);
    tip.appendMarkdown('Runs on its hosts whether or not VS Code is open. Same job for the CLI: `remote-invoke job receive ' + job.id + '`.');
    item.tooltip = tip;
    item.accessibilityInformation = { label: `Job ${job.name}, ${state}, ${job.command}` };
    return item;
  }

  private childItem(job: JobRecord, child: JobChild | undefined): vscode.TreeItem {
    if (!child) return new vscode.TreeItem('(gone)');
    const item = new vscode.TreeItem(child.host, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${job.id}:${child.host}`;
    item.iconPath = ICONS[child.state];
    item.description = describeChild(child);
    item.contextValue = `jobChild.${child.state.toLowerCase()}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${child.host}** — ${child.state}${child.exitCode !== null ? `, exit code ${child.exitCode}` : ''}\n\n`);
    tip.appendMarkdown(`Started ${new Date(child.startedAt).toLocaleString()}`);
    if (child.finishedAt) tip.appendMarkdown(`, finished ${new Date(child.finishedAt).toLocaleString()}`);
    tip.appendMarkdown('.\n\n');
    if (child.error) tip.appendMarkdown(`$(info) ${child.error}\n\n`);
    item.tooltip = tip;
    item.command = child.shell
      ? { command: 'remoteInvoke.receiveJob', title: 'Receive Job Output', arguments: [{ jobId: job.id, host: child.host }] }
      : undefined;
    item.accessibilityInformation = { label: `${child.host}, ${item.description}` };
    return item;
  }

  /** The view as drawn, newest job first (the extension API, used by the tests). */
  snapshot(): JobSnapshot[] {
    return this.getChildren().map((node) => {
      const job = this.records.get(node.jobId) as JobRecord;
      const item = this.getTreeItem(node);
      return {
        id: job.id,
        name: job.name,
        state: jobState(job),
        description: String(item.description ?? ''),
        contextValue: item.contextValue ?? '',
        children: this.getChildren(node).map((c) => {
          const child = job.children.find((x) => x.host === c.host) as JobChild;
          const ci = this.getTreeItem(c);
          return {
            host: child.host,
            state: child.state,
            exitCode: child.exitCode,
            description: String(ci.description ?? ''),
            contextValue: ci.contextValue ?? '',
            error: child.error,
          };
        }),
      };
    });
  }

  /** Shows the view and selects a job. */
  async reveal(jobId: string): Promise<void> {
    this.getChildren();
    const node = this.jobNodes.get(jobId);
    if (node) await this.view.reveal(node, { select: true, focus: false, expand: true });
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
