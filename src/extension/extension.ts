// Wires the features together; each is a Disposable in its own file. Nothing here blocks:
// the ssh_config file is read the first time the view or a command needs it.
import * as vscode from 'vscode';
import type { HostResult, SessionState } from '../core';
import { GroupCommands } from './groupCommands';
import { HostCommands } from './hostCommands';
import { HostsView, type HostTreeRow } from './hostsView';
import { HostInventory } from './inventory';
import { Jobs } from './jobs';
import { JobsView, type JobSnapshot } from './jobsView';
import { hostUri, LastResults } from './lastResults';
import { LanguageServer } from './languageServer';
import { ObjectsCommands } from './objectsTable';
import { OutputPanels } from './outputPanels';
import { SecretVault } from './prompts';
import { outputUri, ResultsStore, type RunRecord } from './results';
import { ResultsView, type ObjectsRendered, type ObjectsSort, type RenderedState, type ResultsViewState, type ScrollMeasurement } from './resultsView';
import { RunCommands } from './runCommands';
import { RunStatus } from './runStatus';
import { Sessions } from './sessions';
import { SessionsView, type SessionSnapshot } from './sessionsView';
import { Settings } from './settings';
import { RemoteTerminals } from './terminal';
import { RollingRun } from './fleetRun';
import { TestConnectionCommand } from './testConnection';
import { ExpandWhenFilled } from './expandWhenFilled';

/** What activate() returns: for other extensions and the tests; the commands are the primary API. */
export interface RemoteInvokeApi {
  /** The Hosts view as drawn: name, description, tooltip, checkbox, session state. */
  hosts(): ReturnType<HostsView['snapshot']>;
  setCheckedHosts(names: string[]): Promise<void>;
  sessionState(host: string): SessionState;
  /** What the host's output panel received in this window. */
  outputText(host: string): string;
  outputPanels(): string[];
  /** The output channels' names, as the Output view's dropdown lists them. */
  outputChannelNames(): string[];
  /** Output lines received and channel appends made so far (appends are batched). */
  outputStats(): { lines: number; appends: number };
  /** The latest run, or one by id. */
  run(id?: number): RunRecord | undefined;
  /** What the results webview last reported drawing. */
  resultsRendered(): RenderedState | undefined;
  onDidRenderResults: vscode.Event<RenderedState>;
  /** Host results of a run, in target order. */
  results(id?: number): HostResult[];
  /** The read-only document with a host's output of a run (the latest by default). */
  outputUri(host: string, runId?: number): vscode.Uri;
  /** Opens two hosts' outputs of a run in the diff editor. */
  compareOutputs(a: string, b: string, runId?: number): Promise<void>;
  /** The results view's "Group identical output" toggle. */
  setResultsGrouped(on: boolean): void;
  /** The Sessions view as drawn. */
  sessions(): SessionSnapshot[];
  /** A host's durable session record (its remote directory, offsets), if it has one. */
  sessionRecord(host: string): { dir: string } | undefined;
  /** The Jobs view as drawn, newest job first. */
  jobs(): JobSnapshot[];
  /** The Hosts view as a tree (groups with their rows), through its filter. */
  hostTree(): HostTreeRow[];
  /** As if the checkboxes of these rows (ids from hostTree) were clicked, with these rows selected. */
  clickHostCheckboxes(clicks: [id: string, checked: boolean][], selection?: string[]): Promise<void>;
  /** The Hosts view's filter (Filter Hosts… sets it). */
  hostsFilter(): string;
  /** Expands a row of the Hosts view (the renderer fetches its children) and resolves when it is shown. */
  revealHostRow(id: string): Promise<void>;
  /** "14 hosts: web (12), db1, db2". */
  describeTargets(hosts: string[]): string;
  /** The decoration of a host's rows (failed and unreachable hosts are coloured). */
  hostDecoration(host: string): { badge?: string; color?: string } | undefined;
  /** Where job records live (shared with the CLI). */
  stateDir(): string;
  /** Jobs whose output documents are open and still polling. */
  receivingJobs(): string[];
  /** What the Objects table last reported drawing. */
  objectsRendered(): ObjectsRendered | undefined;
  /** Sorts/filters the Objects table as a user would. */
  setObjectsView(view: { sort?: ObjectsSort | null; filter?: string }): void;
  /** The results view's sort, filter and grouping, set as if chosen there (kept per workspace). */
  setResultsView(change: Partial<ResultsViewState>): void;
  resultsViewState(): ResultsViewState;
  /** Expands rows of the results view, as clicking them does. */
  expandResults(hosts: string[]): void;
  /** Scrolls the results list through, a page a frame, and reports the slowest frame. */
  measureResultsScroll(): Promise<ScrollMeasurement>;
  /** The "All hosts" output channel's text in this window. */
  allHostsOutputText(): string;
  /** The Hosts view's selected rows. */
  selectedHosts(): string[];
  /** What the runs' status bar item says. */
  runStatusText(): string;
  /** The last "run finished" notification's text, if one was shown. */
  lastRunAnnouncement(): string | undefined;
}

export function activate(context: vscode.ExtensionContext): RemoteInvokeApi {
  const settings = new Settings();
  const inventory = new HostInventory(settings);
  const vault = new SecretVault(context.secrets, context.globalState);
  const sessions = new Sessions(settings, inventory, vault, context.workspaceState);
  const outputs = new OutputPanels();
  const results = new ResultsStore(settings, context.workspaceState);
  const resultsView = new ResultsView(context.extensionUri, results, (host) => outputs.show(host, false), context.workspaceState);
  const lastResults = new LastResults(results);
  const hostsView = new HostsView(inventory, sessions, context.workspaceState, lastResults);
  const runs = new RunCommands(settings, inventory, sessions, outputs, results, resultsView, () => hostsView.checked(), context.workspaceState, (hosts) =>
    hostsView.describeTargets(hosts),
  );
  const runStatus = new RunStatus(results);
  const hostCommands = new HostCommands(inventory);
  const sessionsView = new SessionsView(sessions, outputs, settings, () => inventory.hosts().map((h) => h.name));
  const jobs = new Jobs(settings, sessions, runs);
  const jobsView = new JobsView(jobs);
  hostsView.forwardsAgent = (host) => settings.forwardAgentHosts.includes(host);
  const testConnection = new TestConnectionCommand(settings, inventory, sessions, results, resultsView, hostsView);

  context.subscriptions.push(
    settings,
    inventory,
    sessions,
    outputs,
    results,
    resultsView,
    lastResults,
    hostsView,
    hostCommands,
    hostCommands.onDidAddHost((name) => hostsView.reveal(name)),
    new GroupCommands(inventory, hostsView, context.workspaceState),
    runs,
    runStatus,
    new RemoteTerminals(inventory, sessions),
    sessionsView,
    jobs,
    jobsView,
    new RollingRun(runs, context.workspaceState),
    testConnection,
    new LanguageServer(context.extensionUri, settings),
    new ObjectsCommands(results, resultsView),
    new ExpandWhenFilled(sessionsView.view, () => sessionsView.getChildren()[0], sessionsView.onDidChangeTreeData, [hostsView.view, jobsView.view]),
    new ExpandWhenFilled(jobsView.view, () => jobsView.getChildren()[0], jobsView.onDidChangeTreeData, [hostsView.view, sessionsView.view]),
  );

  return {
    hosts: () => hostsView.snapshot(),
    setCheckedHosts: (names) => hostsView.setChecked(names),
    sessionState: (host) => sessions.state(host),
    outputText: (host) => outputs.transcript(host),
    outputPanels: () => outputs.hosts(),
    outputChannelNames: () => outputs.channelNames(),
    outputStats: () => ({ ...outputs.stats }),
    run: (id) => (id === undefined ? results.latest() : results.get(id)),
    resultsRendered: () => resultsView.rendered(),
    onDidRenderResults: resultsView.onDidRender,
    results: (id) => {
      const run = id === undefined ? results.latest() : results.get(id);
      return run ? [...run.hosts.values()].flatMap((h) => (h.result ? [h.result] : [])) : [];
    },
    outputUri: (host, id) => outputUri(runOf(id), host),
    compareOutputs: (a, b, id) => resultsView.compare(runOf(id), [a, b]),
    setResultsGrouped: (on) => resultsView.setGrouped(on),
    sessions: () => sessionsView.snapshot(),
    sessionRecord: (host) => (sessions.pool.hosts().includes(host) ? sessions.pool.session(host).record : undefined),
    jobs: () => jobsView.snapshot(),
    hostTree: () => hostsView.rows(),
    clickHostCheckboxes: (clicks, selection) => {
      const node = (id: string) => {
        const n = hostsView.nodeById(id);
        if (!n) throw new Error(`no row ${id} in the Hosts view`);
        return n;
      };
      const state = (on: boolean) => (on ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked);
      return hostsView.onCheckboxes(
        clicks.map(([id, on]) => [node(id), state(on)] as const),
        selection?.map(node),
      );
    },
    hostsFilter: () => hostsView.filterValue,
    revealHostRow: async (id) => {
      const n = hostsView.nodeById(id);
      if (!n) throw new Error(`no row ${id} in the Hosts view`);
      await hostsView.view.reveal(n, { expand: true, select: false, focus: false });
    },
    describeTargets: (hosts) => hostsView.describeTargets(hosts),
    hostDecoration: (host) => {
      const d = lastResults.provideFileDecoration(hostUri(host));
      return d && { badge: d.badge, color: d.color instanceof vscode.ThemeColor ? (d.color as unknown as { id: string }).id : undefined };
    },
    stateDir: () => jobs.stateDir,
    receivingJobs: () => jobs.receiving(),
    objectsRendered: () => resultsView.objectsRendered(),
    setObjectsView: (view) => resultsView.setObjectsView(view),
    setResultsView: (change) => resultsView.setView(change),
    resultsViewState: () => resultsView.viewState(),
    expandResults: (hosts) => resultsView.setExpanded(hosts),
    measureResultsScroll: () => resultsView.measureScroll(),
    allHostsOutputText: () => outputs.allHostsTranscript(),
    runStatusText: () => runStatus.text,
    selectedHosts: () => hostsView.selection(),
    lastRunAnnouncement: () => runs.lastAnnouncement,
  };

  function runOf(id: number | undefined): RunRecord {
    const run = id === undefined ? results.latest() : results.get(id);
    if (!run) throw new Error(id === undefined ? 'no run yet' : `no run ${id}`);
    return run;
  }
}

export function deactivate(): void {
  // context.subscriptions dispose every feature, and the session pool closes its connections.
}
