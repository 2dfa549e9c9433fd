import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultStateDir, invoke, LastRunStore, type HostResult, type InvokeRun } from '../core';
import { formatVarAssignments, parseVarAssignments } from '../core/invoke/localValues';
import { splitCommandLine } from './commandLine';
import { fleetOptions, type RunExtras } from './fleetRun';
import { pickHostsWithRootToggle } from './runOptions';
import type { HostInventory } from './inventory';
import type { OutputPanels } from './outputPanels';
import type { ResultsStore, RunRecord, Script } from './results';
import type { ResultsView } from './resultsView';
import type { Sessions } from './sessions';
import type { Settings } from './settings';

/** What remoteInvoke.runFile / runSelection accept when called programmatically: runs without any prompt. */
export interface RunOptions {
  file?: vscode.Uri | string;
  text?: string;
  hosts: string[];
  args?: string[];
  /** `--var NAME=VALUE`: PowerShell `$Using:NAME`, POSIX environment variable NAME (remembered for the file). */
  vars?: Record<string, string>;
  /** Run File / Selection as Job: the job's name (default `Job<id>`). */
  name?: string;
  /** Run as root through sudo (default: remoteInvoke.runAsRoot). */
  runAsRoot?: boolean;
}

/** Runs one script on hosts (a run, or a job); `name` comes from programmatic options. */
export type ScriptAction<T> = (script: Script, hosts: string[], args: string[], name?: string) => Promise<T>;

const ARGS_KEY = 'remoteInvoke.args:';
const VARS_KEY = 'remoteInvoke.vars:';

// Untitled documents have no extension: their language stands in for it.
const EXTENSION_BY_LANGUAGE: Record<string, string> = {
  shellscript: '.sh',
  powershell: '.ps1',
  python: '.py',
  ruby: '.rb',
  perl: '.pl',
  javascript: '.js',
  php: '.php',
  lua: '.lua',
};

/**
 * Run File on Hosts / Run Selection on Hosts: reads the script locally (Invoke-Command
 * -FilePath), picks the targets (checked hosts, else a quick pick) and the arguments
 * (remembered per file), runs it through the engine with progress and cancel, and feeds the
 * output panels and the results store.
 */
export class RunCommands implements vscode.Disposable {
  private readonly runs = new Map<number, InvokeRun>();
  /** "Run as root" as toggled on the host pick of the run being set up. */
  private runAsRootChoice: boolean | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly settings: Settings,
    private readonly inventory: HostInventory,
    private readonly sessions: Sessions,
    private readonly outputs: OutputPanels,
    private readonly results: ResultsStore,
    private readonly resultsView: ResultsView,
    private readonly checkedHosts: () => string[],
    private readonly workspaceState: vscode.Memento,
    /** Names a set of hosts by its groups ("14 hosts: web (12), db1, db2"); default: a count. */
    private readonly describeTargets: (hosts: string[]) => string = (hosts) => `${hosts.length} host${hosts.length === 1 ? '' : 's'}`,
  ) {
    this.disposables = [
      vscode.commands.registerCommand('remoteInvoke.runFile', (arg?: unknown, more?: unknown) => this.runFile(arg, more)),
      vscode.commands.registerCommand('remoteInvoke.runSelection', (arg?: unknown) => this.runSelection(arg)),
      vscode.commands.registerCommand('remoteInvoke.cancelRun', (id?: number) => this.cancel(id)),
      resultsView.onDidRequestCancel((id) => this.cancel(id)),
      resultsView.onDidRequestRerun(({ runId, hosts }) => this.rerun(runId, hosts)),
    ];
  }

  private runFile(arg: unknown, more: unknown): Promise<HostResult[] | undefined> {
    return this.forFiles(arg, more, 'Run', (script, hosts, args) => this.execute(script, hosts, args));
  }

  private runSelection(arg: unknown): Promise<HostResult[] | undefined> {
    return this.forSelection(arg, 'Run', (script, hosts, args) => this.execute(script, hosts, args));
  }

  /**
   * What a Run File command names — programmatic options, the Explorer's selection, or the active
   * editor — with the targets and each file's arguments asked as needed; `each` runs one script.
   * Resolves to the last `each` result; undefined when there was nothing to run or it was cancelled.
   * Also used by Run File as Job.
   */
  async forFiles<T>(arg: unknown, more: unknown, verb: string, each: ScriptAction<T>): Promise<T | undefined> {
    if (isRunOptions(arg)) {
      this.runAsRootChoice = arg.runAsRoot;
      const script = arg.file !== undefined ? await readScript(toUri(arg.file)) : textScript(arg.text ?? '', undefined);
      if (arg.vars) await this.rememberVariables(script, arg.vars);
      return each(script, arg.hosts, arg.args ?? [], arg.name);
    }
    // Explorer passes (clicked, selected[]); editor menus pass the document's Uri.
    const uris = Array.isArray(more) && more.every((u) => u instanceof vscode.Uri) && more.length ? (more as vscode.Uri[]) : undefined;
    const targetsOf = uris ?? [arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri];
    const files = targetsOf.filter((u): u is vscode.Uri => !!u);
    if (!files.length) {
      void vscode.window.showInformationMessage('Remote Invoke: open a script or right-click one in the Explorer to run it on hosts.');
      return undefined;
    }
    const hosts = await this.pickTargets(files.length === 1 ? path.basename(files[0].path) : `${files.length} scripts`, verb);
    if (!hosts) return undefined;
    let last: T | undefined;
    for (const uri of files) {
      const script = await readScript(uri);
      const args = await this.askArguments(script);
      if (!args) return last;
      if (!(await this.askVariables(script))) return last;
      last = await each(script, hosts, args);
    }
    return last;
  }

  /** Like forFiles, for Run Selection: the editor's selections (or current line), or programmatic text. */
  async forSelection<T>(arg: unknown, verb: string, each: ScriptAction<T>): Promise<T | undefined> {
    if (isRunOptions(arg)) {
      this.runAsRootChoice = arg.runAsRoot;
      const doc = arg.file !== undefined ? await vscode.workspace.openTextDocument(toUri(arg.file)) : undefined;
      const text = arg.text ?? doc?.getText() ?? '';
      const script = textScript(text, doc);
      if (arg.vars) await this.rememberVariables(script, arg.vars);
      return each(script, arg.hosts, arg.args ?? [], arg.name);
    }
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Remote Invoke: select lines in an editor to run them on hosts.');
      return undefined;
    }
    // Like PowerShell's F8: the selections, or the current line when nothing is selected.
    const parts = editor.selections
      .map((s) => (s.isEmpty ? editor.document.lineAt(s.active.line).text : editor.document.getText(s)))
      .filter((t) => t.trim());
    if (!parts.length) return undefined;
    const script = textScript(parts.join('\n') + '\n', editor.document);
    const hosts = await this.pickTargets(script.title, verb);
    if (!hosts) return undefined;
    return each(script, hosts, []);
  }

  private async rerun(runId: number, hosts: string[]): Promise<void> {
    const run = this.results.get(runId);
    if (!run || !hosts.length) return;
    await this.execute(run.info.script, hosts, run.info.args);
  }

  /** The checked hosts; otherwise a multi-select pick of the inventory. undefined = cancelled. */
  private async pickTargets(what: string, verb = 'Run'): Promise<string[] | undefined> {
    const hosts = await this.chooseTargets(what, verb);
    return hosts && this.confirmMany(hosts, what, verb);
  }

  /**
   * A run on more hosts than `remoteInvoke.confirmAbove` asks first, naming them by group. The
   * default button reviews the list; running needs the explicit "Run on N Hosts".
   */
  private async confirmMany(hosts: string[], what: string, verb: string): Promise<string[] | undefined> {
    const limit = this.settings.confirmAbove;
    if (!limit || hosts.length <= limit) return hosts;
    const review = 'Review Hosts…';
    const go = `${verb} on ${hosts.length} Hosts`;
    const choice = await vscode.window.showWarningMessage(
      `${verb} ${what} on ${hosts.length} hosts?`,
      { modal: true, detail: `${this.describeTargets(hosts)}

That is more than remoteInvoke.confirmAbove (${limit}).` },
      review,
      go,
    );
    if (choice === go) return hosts;
    if (choice !== review) return undefined;
    const picked = await vscode.window.showQuickPick(
      hosts.map((h) => ({ label: h, picked: true })),
      { title: `${verb} ${what} on…`, canPickMany: true, ignoreFocusOut: true, placeHolder: 'Uncheck the hosts not to run on, then press Enter' },
    );
    return picked?.length ? picked.map((p) => p.label) : undefined;
  }

  private async chooseTargets(what: string, verb: string): Promise<string[] | undefined> {
    const checked = this.checkedHosts();
    if (checked.length) return checked;
    const hosts = this.inventory.hosts();
    if (!hosts.length) {
      const add = 'Add Host';
      const choice = await vscode.window.showWarningMessage(`Remote Invoke: there are no hosts in ${this.inventory.configPath}.`, add);
      if (choice === add) await vscode.commands.executeCommand('remoteInvoke.addHost');
      return undefined;
    }
    const picked = await pickHostsWithRootToggle(
      hosts.map((h) => ({
        label: h.name,
        description: h.resolved ? `${h.resolved.user}@${h.resolved.hostName}:${h.resolved.port}` : h.problem,
        detail: this.sessions.state(h.name) !== 'none' ? `session ${this.sessions.state(h.name)}` : undefined,
      })),
      { title: `${verb} ${what} on…`, placeHolder: 'Hosts to run on (check hosts in the Remote Invoke view to skip this question)' },
      this.settings.runAsRoot,
    );
    if (picked) this.runAsRootChoice = picked.runAsRoot;
    return picked?.hosts.length ? picked.hosts : undefined;
  }

  /** Arguments for a file, prefilled with the last ones used for it. undefined = cancelled. */
  private async askArguments(script: Script): Promise<string[] | undefined> {
    if (!this.settings.promptForArguments) return [];
    const key = ARGS_KEY + (script.uri?.toString() ?? script.title);
    const last = this.workspaceState.get<string>(key, '');
    const typed = await vscode.window.showInputBox({
      title: `Arguments for ${script.title}`,
      prompt: 'Passed to the script as $1 $2 … exactly as written here (quote words with spaces). Empty for none.',
      value: last,
      placeHolder: 'no arguments',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          splitCommandLine(v);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    if (typed === undefined) return undefined;
    await this.workspaceState.update(key, typed);
    return splitCommandLine(typed);
  }

  private varsKey(script: Script): string {
    return VARS_KEY + (script.uri?.toString() ?? script.title);
  }

  /** The variables remembered for a script's file (`$Using:NAME` / environment NAME). */
  variablesFor(script: Script): Record<string, string> | undefined {
    const saved = this.workspaceState.get<string[]>(this.varsKey(script), []);
    return saved.length ? parseVarAssignments(saved) : undefined;
  }

  private async rememberVariables(script: Script, vars: Record<string, string>): Promise<void> {
    await this.workspaceState.update(this.varsKey(script), formatVarAssignments(vars));
  }

  /**
   * Variables for a file, prefilled with the last ones used for it: asked when the file has some
   * remembered or is PowerShell that reads `$Using:`. false = cancelled.
   */
  private async askVariables(script: Script): Promise<boolean> {
    if (!this.settings.promptForArguments) return true;
    const last = this.workspaceState.get<string[]>(this.varsKey(script), []);
    if (!last.length && !(/\.ps1$/i.test(script.fileName) && /\$using:/i.test(script.text))) return true;
    const typed = await vscode.window.showInputBox({
      title: `Variables for ${script.title}`,
      prompt: 'NAME=VALUE pairs, quoted like arguments: read as $Using:NAME in PowerShell, as environment variable NAME in shell scripts. Empty for none.',
      value: splitJoin(last),
      placeHolder: 'no variables',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseVarAssignments(splitCommandLine(v));
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    if (typed === undefined) return false;
    await this.rememberVariables(script, parseVarAssignments(splitCommandLine(typed)));
    return true;
  }

  /**
   * Runs the script on the hosts; resolves to one result per host, in the order given. `extras`:
   * a rolling run's batches and budget, and whether to run as root (default: the host pick's
   * toggle, else remoteInvoke.runAsRoot).
   */
  async execute(script: Script, hosts: string[], args: string[], extras: RunExtras = {}): Promise<HostResult[]> {
    const runAsRoot = extras.runAsRoot ?? this.runAsRootChoice ?? this.settings.runAsRoot;
    this.runAsRootChoice = undefined;
    hosts = [...new Set(hosts)];
    if (!hosts.length) throw new Error('no hosts to run on');
    const targets = this.describeTargets(hosts);
    const record = this.results.begin({ title: script.title, kind: script.kind, file: script.uri, args, hosts, targets, script }, this.settings.persistentSessions);
    this.outputs.runStarted(record);
    this.outputs.show(hosts[0]);
    void this.resultsView.show(record.id);
    void vscode.commands.executeCommand('setContext', 'remoteInvoke.hasRuns', true);

    const run = invoke({
      ...this.sessions.connectionSettings(),
      script: { text: script.text, fileName: script.fileName },
      targets: hosts,
      args,
      vars: this.variablesFor(script),
      throttle: this.settings.throttleLimit,
      timeoutMs: this.settings.timeoutMs,
      shell: this.settings.defaultShell,
      convertCrlf: this.settings.convertCrlf,
      sessions: this.settings.persistentSessions ? (runAsRoot ? this.sessions.rootPool : this.sessions.pool) : undefined,
      ...fleetOptions(this.settings, runAsRoot, extras),
    });
    this.runs.set(record.id, run);
    void vscode.commands.executeCommand('setContext', 'remoteInvoke.runActive', true);
    let ticker: NodeJS.Timeout | undefined;
    try {
      return await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Running ${record.label} on ${targets}`,
          cancellable: true,
        },
        async (progress, token) => {
          token.onCancellationRequested(() => run.cancel());
          // The elapsed time counts on even while no host reports.
          const message = () => `${record.done}/${hosts.length} done · ${formatElapsed(Date.now() - record.startedAt.getTime())}`;
          progress.report({ message: message() });
          ticker = setInterval(() => progress.report({ message: message() }), 1000);
          let handled = 0;
          for await (const event of run) {
            // A burst of output is handled in microtasks; let timers and other extensions in now and then.
            if (++handled % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
            if (event.type === 'start') this.results.started(record, event.host);
            else if (event.type === 'output') {
              this.results.line(record, event.host, event.stream, event.line);
              this.outputs.append(event.host, event.line, record.id);
            } else if (event.type === 'object') {
              this.results.object(record, event.host, event.value);
            } else if (event.type === 'result') {
              this.results.ended(record, event);
              this.outputs.hostEnded(event, record.id);
              progress.report({ increment: 100 / hosts.length, message: message() });
            }
          }
          const results = await run.results;
          record.rollout = await run.rollout;
          recordLastRun(results);
          this.reportRefusedHostKeys(results);
          return results;
        },
      );
    } finally {
      clearInterval(ticker);
      this.runs.delete(record.id);
      this.outputs.runFinished(record);
      this.outputs.flush();
      this.results.finish(record);
      void vscode.commands.executeCommand('setContext', 'remoteInvoke.runActive', this.runs.size > 0);
      this.announce(record.id);
    }
  }

  /**
   * A run that ends while its results are out of sight (another tab, another window) is said in a
   * notification: "fleet-check.sh: 37 Completed, 3 Failed, 2 Unreachable", with Show Results and
   * Run Again on Failed.
   */
  private announce(runId: number): void {
    const record = this.results.get(runId);
    if (!record || this.resultsView.inSight) return;
    const failed = failedHosts(record);
    const show = 'Show Results';
    const again = 'Run Again on Failed';
    const text = `${record.info.title}: ${outcomeText(record)}`;
    const shown = failed.length ? vscode.window.showWarningMessage(text, show, again) : vscode.window.showInformationMessage(text, show);
    void shown.then((choice) => {
      if (choice === show) void this.resultsView.show(runId, false);
      else if (choice === again) void this.rerun(runId, failed);
    });
    this.lastAnnouncement = text;
  }

  /** The text of the last finished-run notification (the extension API, used by the tests). */
  lastAnnouncement: string | undefined;

  /** A changed host key is never something to click through: say so, with both fingerprints. */
  private reportRefusedHostKeys(results: HostResult[]): void {
    const changed = results.filter((r) => r.status === 'HostKeyRejected' && /HAS CHANGED/i.test(r.error ?? ''));
    if (!changed.length) return;
    void vscode.window.showErrorMessage(
      `Remote Invoke: the host key of ${changed.map((r) => r.host).join(', ')} has CHANGED. The connection was refused.`,
      {
        modal: true,
        detail:
          changed.map((r) => r.error).join('\n\n') +
          '\n\nSomeone could be eavesdropping (man-in-the-middle), or the host was reinstalled. ' +
          'Confirm the new key with its administrator, then remove the old one from known_hosts.',
      },
    );
  }

  cancel(id?: number): void {
    if (id !== undefined) this.runs.get(id)?.cancel();
    else for (const run of this.runs.values()) run.cancel();
  }

  dispose(): void {
    this.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

/** "37 Completed, 3 Failed, 2 Unreachable": hosts per status, most first. */
export function outcomeText(record: RunRecord): string {
  const counts = new Map<string, number>();
  for (const h of record.hosts.values()) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([state, n]) => `${n} ${state}`).join(', ');
}

/** Hosts of a run that ended in anything but Completed. */
export function failedHosts(record: RunRecord): string[] {
  return [...record.hosts.values()].filter((h) => h.result && h.state !== 'Completed').map((h) => h.host);
}

/** 0:07, 1:05:09: the time a run has taken so far. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return hms[0] ? `${hms[0]}:${String(hms[1]).padStart(2, '0')}:${String(hms[2]).padStart(2, '0')}` : `${hms[1]}:${String(hms[2]).padStart(2, '0')}`;
}

function isRunOptions(arg: unknown): arg is RunOptions {
  return !!arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && Array.isArray((arg as RunOptions).hosts);
}

function toUri(file: vscode.Uri | string): vscode.Uri {
  return typeof file === 'string' ? vscode.Uri.file(file) : file;
}

/** A file's content: the editor's text when it is open (unsaved edits run too), else the file on disk. */
async function readScript(uri: vscode.Uri): Promise<Script> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const base = path.posix.basename(uri.path);
  const fileName = open?.isUntitled ? base + (EXTENSION_BY_LANGUAGE[open.languageId] ?? '') : base;
  return { text, fileName, title: base, kind: 'file', uri };
}

function textScript(text: string, doc: vscode.TextDocument | undefined): Script {
  const base = doc ? path.posix.basename(doc.uri.path) : 'selection';
  const fileName = doc && !doc.isUntitled ? base : `selection${EXTENSION_BY_LANGUAGE[doc?.languageId ?? ''] ?? '.sh'}`;
  return { text, fileName, title: doc ? `selection in ${base}` : 'script text', kind: 'selection', uri: doc?.uri };
}

/** The same record the CLI writes, so `@failed` and "Select Failed" mean the last run's failures wherever it ran. */
function recordLastRun(results: HostResult[]): void {
  try {
    new LastRunStore(defaultStateDir()).record(results);
  } catch {
    // No writable state folder: the run stands; only `@failed` does not see it.
  }
}

/** NAME=VALUE strings back as one line the prompt can split again (values with spaces or quotes are quoted). */
function splitJoin(assignments: string[]): string {
  return assignments.map((a) => (/^[\w=./:@+-]*$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
