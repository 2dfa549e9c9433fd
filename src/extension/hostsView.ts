import * as path from 'node:path';
import * as vscode from 'vscode';
import { AGENT_FORWARDING_WARNING, HostTree, selectTargets, type FleetSetting, type HostFilter, type Provenance, type SessionState } from '../core';
import type { HostInventory, InventoryHost } from './inventory';
import { describeLastResult, hostUri, type LastResults } from './lastResults';
import type { Sessions } from './sessions';

export const HOSTS_VIEW_ID = 'remoteInvoke.hosts';
const CHECKED_KEY = 'remoteInvoke.checkedHosts';
const FILTERED_CONTEXT = 'remoteInvoke.hostsFiltered';
/** Up to this many hosts, groups start expanded; a fleet starts folded. */
const EXPAND_GROUPS_UP_TO = 50;
/** A change to more host rows than this redraws the whole tree (cheaper than naming each row). */
const ROW_REFRESH_LIMIT = 200;

/** A host row; also what tree menus pass to commands (`name`). One host may have a row under each of its groups. */
export interface HostNode {
  readonly kind: 'host';
  readonly name: string;
  readonly id: string;
  readonly parent?: GroupNode;
}

/** A group row: its hosts are the group's and its child groups' hosts. */
export interface GroupNode {
  readonly kind: 'group';
  readonly group: string;
  readonly id: string;
  readonly parent?: GroupNode;
}

export type HostsTreeNode = HostNode | GroupNode;

/** A row as drawn (for the tests and other extensions). */
export interface HostTreeRow {
  kind: 'group' | 'host';
  name: string;
  id: string;
  description: string;
  tooltip: string;
  /** The checkbox as drawn: a partly checked group's box is unchecked (see `partial`). */
  checked: boolean;
  /** Groups only: some but not all of its hosts are checked. */
  partial?: boolean;
  children?: HostTreeRow[];
}

const STATE_ICON: Partial<Record<SessionState, vscode.ThemeIcon>> = {
  none: new vscode.ThemeIcon('vm-outline'),
  connecting: new vscode.ThemeIcon('loading~spin'),
  connected: new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.green')),
  busy: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  broken: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('errorForeground')),
  disconnected: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow')),
};
const UNKNOWN_STATE_ICON = new vscode.ThemeIcon('vm');
/** Filter text with these is read as a target pattern (`a:b`, `a,b`, `a:&b`, `a:!b`, `~re`, `@file`), not as a name fragment. */
const PATTERN_SYNTAX = /[:,&!~@]/;
// VS Code tree checkboxes have two states (TreeItemCheckboxState is Unchecked | Checked; a mixed
// state is only discussed upstream, microsoft/vscode#183879). A partly checked group therefore
// shows an unchecked box, clicking it checks the whole group (as a mixed checkbox does), and the
// partial state is in the icon (layers with a dot), the description ("3 of 12 checked"), the
// checkbox tooltip and the screen-reader label.
const GROUP_ICON = {
  none: new vscode.ThemeIcon('layers'),
  some: new vscode.ThemeIcon('layers-dot', new vscode.ThemeColor('charts.blue')),
  all: new vscode.ThemeIcon('layers-active', new vscode.ThemeColor('charts.blue')),
};

/**
 * The Hosts view: the fleet's groups (ssh_config `Tag`s, inventory groups and their children) as
 * tree nodes with tri-state checkboxes, and the hosts under them (a host in two groups is under
 * both, with one checked state) and, at the top level, the hosts in no group. The checked hosts
 * are the default targets of a run, remembered per workspace. Each host row shows its session and
 * its last result; the tooltip says where each of its settings came from. Our own filter
 * (VS Code's find widget has no API an extension can read) narrows the tree, and Check All /
 * Uncheck All act on what it shows.
 */
export class HostsView implements vscode.TreeDataProvider<HostsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostsTreeNode | HostsTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<HostsTreeNode>;
  private treeCache: HostTree | undefined;
  private filterCache: HostFilter | undefined;
  private filterText = '';
  private checkedCache: Set<string> | undefined;
  private filterProblem: string | undefined;
  /** Rows handed to VS Code, by id: the same object for the same row, so refreshes and reveal find it. */
  private nodes = new Map<string, HostsTreeNode>();
  private readonly hostRows = new Map<string, Set<HostsTreeNode>>();
  private readonly groupRows = new Map<string, Set<HostsTreeNode>>();
  private readonly disposables: vscode.Disposable[] = [];
  private selectionNow: { rows: readonly HostsTreeNode[]; at: number } = { rows: [], at: 0 };
  private selectionBefore: { rows: readonly HostsTreeNode[]; at: number } = { rows: [], at: 0 };

  constructor(
    private readonly inventory: HostInventory,
    private readonly sessions: Sessions,
    private readonly state: vscode.Memento,
    private readonly lastResults: LastResults,
  ) {
    this.view = vscode.window.createTreeView(HOSTS_VIEW_ID, {
      treeDataProvider: this,
      showCollapseAll: true,
      canSelectMany: true,
      manageCheckboxStateManually: true,
    });
    this.disposables.push(
      this.view,
      this.view.onDidChangeCheckboxState((e) => this.onCheckboxes(e.items, this.selectionAtClick(e.items))),
      this.view.onDidChangeSelection((e) => {
        this.selectionBefore = this.selectionNow;
        this.selectionNow = { rows: e.selection, at: Date.now() };
      }),
      inventory.onDidChange(() => this.rebuild()),
      sessions.onDidChangeState(({ host }) => this.refreshHosts([host])),
      lastResults.onDidChange((hosts) => this.refreshHosts(hosts, true)),
      vscode.commands.registerCommand('remoteInvoke.refreshHosts', () => {
        this.lastResults.refresh();
        this.inventory.reload();
      }),
      vscode.commands.registerCommand('remoteInvoke.checkAllHosts', () => this.checkVisible(true)),
      vscode.commands.registerCommand('remoteInvoke.uncheckAllHosts', () => this.checkVisible(false)),
      vscode.commands.registerCommand('remoteInvoke.filterHosts', (text?: unknown) => this.askFilter(text)),
      vscode.commands.registerCommand('remoteInvoke.clearHostsFilter', () => this.setFilter('')),
      vscode.commands.registerCommand('remoteInvoke.selectFailedHosts', () => this.selectFailed()),
    );
    void vscode.commands.executeCommand('setContext', FILTERED_CONTEXT, false);
  }

  /** The fleet as a tree; built on first use after each inventory change. */
  get tree(): HostTree {
    if (!this.treeCache) {
      const groups = this.inventory.groups();
      const direct = directGroups(groups);
      this.treeCache = new HostTree({
        hosts: this.inventory.hosts().map((h) => ({ name: h.name, groups: direct.get(h.name) ?? [] })),
        groups: groups.map((g) => ({ name: g.name, children: g.children })),
      });
    }
    return this.treeCache;
  }

  /**
   * Text filters by name, address and group name; a target pattern (`web:&prod`, `db*:!db3`,
   * `~web0[1-3]`, `@failed`, as `-H` takes them) filters to the hosts it selects.
   */
  private get filter(): HostFilter {
    if (!this.filterCache) {
      let selected: Set<string> | undefined;
      this.filterProblem = undefined;
      if (PATTERN_SYNTAX.test(this.filterText)) {
        try {
          selected = new Set(selectTargets(this.filterText, this.inventory.fleet));
        } catch (err) {
          this.filterProblem = (err as Error).message;
          selected = new Set();
        }
      }
      const address = (h: string) => {
        const r = this.inventory.host(h)?.resolved;
        return r ? `${r.user}@${r.hostName}` : '';
      };
      this.filterCache = this.tree.filter(this.filterText, address, selected);
    }
    return this.filterCache;
  }

  private get checkedSet(): Set<string> {
    this.checkedCache ??= new Set(this.state.get<string[]>(CHECKED_KEY, []));
    return this.checkedCache;
  }

  /** Checked host names that still exist in the inventory, in inventory order. */
  checked(): string[] {
    const checked = this.checkedSet;
    return this.tree.hostNames.filter((h) => checked.has(h));
  }

  /** "14 hosts: web (12), db1, db2": a set of hosts named by the groups they make up. */
  describeTargets(hosts: readonly string[]): string {
    return this.tree.describe(hosts).text;
  }

  async setChecked(names: Iterable<string>): Promise<void> {
    const next = new Set(names);
    const before = this.checkedSet;
    const touched = [...new Set([...before, ...next])].filter((h) => before.has(h) !== next.has(h));
    await this.saveChecked(next);
    this.refreshHosts(touched);
  }

  private async saveChecked(next: Set<string>): Promise<void> {
    this.checkedCache = next;
    await this.state.update(CHECKED_KEY, [...next]);
    this.updateMessage();
  }

  /**
   * A checkbox was clicked (or several, programmatically). A group stands for its hosts (those the
   * filter shows). A click on a row that is part of a multi-selection applies to every selected row:
   * VS Code reports only the clicked row.
   */
  async onCheckboxes(items: ReadonlyArray<readonly [HostsTreeNode, vscode.TreeItemCheckboxState]>, selection: readonly HostsTreeNode[] = this.view.selection): Promise<void> {
    const selectedIds = new Set(selection.map((n) => n.id));
    const changes: [HostsTreeNode, boolean][] = [];
    for (const [node, state] of items) {
      const on = state === vscode.TreeItemCheckboxState.Checked;
      const rows = selectedIds.has(node.id) && selection.length > 1 ? selection : [node];
      for (const row of rows) changes.push([row, on]);
    }
    const next = new Set(this.checkedSet);
    for (const [node, on] of changes) {
      for (const h of node.kind === 'group' ? this.visibleHostsOf(node.group) : [node.name]) {
        if (on) next.add(h);
        else next.delete(h);
      }
    }
    await this.setChecked(next);
  }

  /**
   * The selection the user had when clicking a checkbox. The click's mouse-down reaches the
   * workbench's list first and narrows a multi-selection to the clicked row; when the selection
   * has just become that one row, the one before it (which held the row) is what was meant.
   */
  private selectionAtClick(items: ReadonlyArray<readonly [HostsTreeNode, vscode.TreeItemCheckboxState]>): readonly HostsTreeNode[] {
    const now = this.view.selection;
    if (items.length !== 1 || now.length > 1) return now;
    const clicked = items[0][0].id;
    const narrowed = now.length === 1 && now[0].id === clicked && Date.now() - this.selectionNow.at < 1500;
    const before = this.selectionBefore.rows;
    return narrowed && before.length > 1 && before.some((n) => n.id === clicked) ? before : now;
  }

  private visibleHostsOf(group: string): readonly string[] {
    return this.filter.hostsShownUnder(group);
  }

  /** Check All / Uncheck All: the hosts the filter shows (all of them when there is no filter). */
  private async checkVisible(on: boolean): Promise<void> {
    const next = new Set(this.checkedSet);
    for (const h of this.filter.hosts()) {
      if (on) next.add(h);
      else next.delete(h);
    }
    await this.setChecked(next);
  }

  /** Select Failed: exactly the hosts that did not complete in the last run (what `@failed` means). */
  private async selectFailed(): Promise<string[]> {
    this.lastResults.refresh();
    const failed = this.tree.sortHosts(this.lastResults.failedHosts());
    if (!failed.length) {
      void vscode.window.showInformationMessage('Remote Invoke: no host failed in the last run.');
      return [];
    }
    await this.setChecked(failed);
    return failed;
  }

  get filterValue(): string {
    return this.filterText;
  }

  async setFilter(text: string): Promise<void> {
    this.filterText = text.trim();
    this.filterCache = undefined;
    this.view.description = this.filterText ? `filter: ${this.filterText}` : undefined;
    await vscode.commands.executeCommand('setContext', FILTERED_CONTEXT, !!this.filterText);
    this.rebuildRows();
  }

  /** Filter Hosts…: filters as the user types; Escape puts the previous filter back. */
  private async askFilter(text: unknown): Promise<void> {
    if (typeof text === 'string') return this.setFilter(text);
    const previous = this.filterText;
    const box = vscode.window.createInputBox();
    box.title = 'Filter Hosts';
    box.prompt = 'Host names, addresses or group names containing this text (or matching it, with * and ?), or a target pattern as -H takes it. Check All and Uncheck All act on what it shows.';
    box.placeholder = 'e.g. web, 10.0.1., db-*, web:&prod, @failed';
    box.value = previous;
    let accepted = false;
    await new Promise<void>((resolve) => {
      box.onDidChangeValue((v) => void this.setFilter(v));
      box.onDidAccept(() => {
        accepted = true;
        box.hide();
      });
      box.onDidHide(() => resolve());
      box.show();
    });
    box.dispose();
    if (!accepted) await this.setFilter(previous);
  }

  private rebuild(): void {
    this.treeCache = undefined;
    this.filterCache = undefined;
    this.rebuildRows();
  }

  private rebuildRows(): void {
    this.nodes = new Map();
    this.hostRows.clear();
    this.groupRows.clear();
    this.changed.fire(undefined);
  }

  /** Redraws the rows of these hosts and of the groups that hold them. */
  private refreshHosts(hosts: readonly string[], groupsToo = true): void {
    if (!hosts.length) return;
    if (hosts.length > ROW_REFRESH_LIMIT) {
      this.changed.fire(undefined);
      return;
    }
    const rows = new Set<HostsTreeNode>();
    const groups = new Set<string>();
    for (const h of hosts) {
      for (const r of this.hostRows.get(h) ?? []) rows.add(r);
      if (groupsToo && this.tree.hasHost(h)) for (const g of this.tree.ancestorsOf(h)) groups.add(g);
    }
    for (const g of groups) for (const r of this.groupRows.get(g) ?? []) rows.add(r);
    if (rows.size) this.changed.fire([...rows]);
    this.updateMessage();
  }

  /** Selects a host's row (after Add Host), once the tree has it. */
  async reveal(name: string): Promise<void> {
    // The tree refetches its rows after the file changed; a reveal racing that refetch is retried.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!this.hostRows.get(name)?.size) this.getChildren();
      const [node] = this.hostRows.get(name) ?? [];
      if (node) {
        try {
          await this.view.reveal(node, { select: true, focus: false });
          return;
        } catch {
          /* not drawn yet */
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** The selected hosts' names (the extension API, used by the tests). */
  selection(): string[] {
    return this.view.selection.flatMap((n) => (n.kind === 'host' ? [n.name] : []));
  }

  getParent(node: HostsTreeNode): HostsTreeNode | undefined {
    return node.parent;
  }

  getChildren(element?: HostsTreeNode): HostsTreeNode[] {
    if (element?.kind === 'host') return [];
    const parent = element;
    const entries = this.filter.entries(parent?.group);
    const rows = entries.map((e) => this.node(e.kind, e.name, parent));
    if (!parent) this.updateMessage();
    return rows;
  }

  private node(kind: 'group' | 'host', name: string, parent: GroupNode | undefined): HostsTreeNode {
    const id = `${parent ? `${parent.id}/` : ''}${kind === 'group' ? 'g' : 'h'}:${name}`;
    let node = this.nodes.get(id);
    if (!node) {
      node = kind === 'group' ? { kind, group: name, id, parent } : { kind, name, id, parent };
      this.nodes.set(id, node);
      const index = kind === 'group' ? this.groupRows : this.hostRows;
      if (!index.has(name)) index.set(name, new Set());
      index.get(name)!.add(node);
    }
    return node;
  }

  /** Whether the extension's own setting forwards the agent to a host (ssh_config's ForwardAgent is read here). */
  forwardsAgent: (host: string) => boolean = () => false;
  private readonly annotations = new Map<string, { description: string; tooltip: string }>();

  /** Adds a note to a host's row (description and tooltip), e.g. the outcome of Test Connection. */
  annotate(host: string, note: { description: string; tooltip: string }): void {
    this.annotations.set(host, note);
    this.refreshHosts([host], false);
  }

  getTreeItem(node: HostsTreeNode): vscode.TreeItem {
    return node.kind === 'group' ? this.groupItem(node) : this.hostItem(node);
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const tree = this.tree;
    const check = tree.groupCheck(node.group, this.checkedSet);
    const expanded = this.filter.active || tree.hostNames.length <= EXPAND_GROUPS_UP_TO;
    const item = new vscode.TreeItem(node.group, expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    // While a filter is on, rows get other ids, so VS Code opens them instead of keeping them folded.
    item.id = this.filter.active ? `${node.id}?${this.filterText}` : node.id;
    item.iconPath = GROUP_ICON[check.state];
    const hostsWord = `${check.total} host${check.total === 1 ? '' : 's'}`;
    const failed = tree.hostsOf(node.group).filter((h) => isFailure(this.lastResults.get(h)?.status)).length;
    const counts = check.state === 'some' ? `${check.checked} of ${hostsWord} checked` : check.state === 'all' ? `${hostsWord}, all checked` : hostsWord;
    item.description = failed ? `${counts} · ${failed} not completed` : counts;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${node.group}** — group of ${hostsWord}\n\n`);
    if (check.state === 'some') tip.appendMarkdown(`Partly checked: ${check.checked} of ${check.total}. The checkbox checks all of them.\n\n`);
    const fleetGroup = this.inventory.fleet.group(node.group);
    if (fleetGroup) {
      if (fleetGroup.children.length) tip.appendMarkdown(`Child groups: ${fleetGroup.children.join(', ')}\n\n`);
      for (const d of fleetGroup.declarations) tip.appendMarkdown(`Declared in \`${path.basename(d.file)}:${d.range.start.line + 1}\`\n\n`);
    }
    if (failed) tip.appendMarkdown(`$(error) ${failed} did not complete in their last run\n\n`);
    item.tooltip = tip;
    item.checkboxState = {
      state: check.state === 'all' ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      tooltip: check.state === 'all' ? `Uncheck the ${hostsWord} of ${node.group}` : check.state === 'some' ? `Partly checked (${check.checked} of ${check.total}): check all of ${node.group}` : `Run on the ${hostsWord} of ${node.group}`,
      accessibilityInformation: { label: `Run on group ${node.group}` },
    };
    item.contextValue = 'group';
    item.accessibilityInformation = { label: `Group ${node.group}, ${counts}` };
    return item;
  }

  private hostItem(node: HostNode): vscode.TreeItem {
    const host = this.inventory.host(node.name);
    const state = this.sessions.state(node.name);
    const last = this.lastResults.get(node.name);
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.filter.active ? `${node.id}?${this.filterText}` : node.id;
    item.resourceUri = hostUri(node.name);
    item.iconPath = host?.problem ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : STATE_ICON[state] ?? UNKNOWN_STATE_ICON;
    const r = host?.resolved;
    // A value that cannot work (Port abc) shows its reason instead of an address like host:NaN.
    const address = r && !host?.problem ? `${r.user}@${r.hostName}:${r.port}` : host?.problem && `⚠ ${host.problem}`;
    item.description = [last ? describeLastResult(last) : undefined, state === 'none' ? undefined : state, address].filter(Boolean).join(' · ');
    item.tooltip = this.hostTooltip(node.name, host, state);
    const note = this.annotations.get(node.name);
    if (note) {
      // What Test Connection found, after the host's own lines.
      item.description = [item.description, note.description].filter(Boolean).join(' · ');
      (item.tooltip as vscode.MarkdownString).appendMarkdown('\n\n---\n\n').appendCodeblock(note.tooltip, 'text');
    }
    item.checkboxState = {
      state: this.checkedSet.has(node.name) ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      tooltip: 'Run on this host',
      accessibilityInformation: { label: `Run on ${node.name}` },
    };
    item.contextValue = state === 'none' ? 'host' : 'host.session';
    item.accessibilityInformation = {
      label: `${node.name}${address ? `, ${address}` : ''}, last result ${describeLastResult(last)}, session ${state}`,
    };
    return item;
  }

  private hostTooltip(name: string, host: InventoryHost | undefined, state: SessionState): vscode.MarkdownString {
    const tip = new vscode.MarkdownString(undefined, true);
    const r = host?.resolved;
    tip.appendMarkdown(`**${name}**\n\n`);
    if (r) {
      tip.appendMarkdown(`\`${r.user}@${r.hostName}:${r.port}\`\n\n`);
      if (r.proxyJump) tip.appendMarkdown(`via ProxyJump \`${r.proxyJump}\`\n\n`);
      if (r.forwardAgent || this.forwardsAgent(name)) tip.appendMarkdown(`$(key) **Agent forwarding is on.** ${AGENT_FORWARDING_WARNING}\n\n`);
    }
    if (host?.problem) tip.appendMarkdown(`$(warning) ${host.problem}\n\n`);
    const groups = host?.fleet?.groups.filter((g) => g !== 'ungrouped') ?? [];
    if (groups.length) tip.appendMarkdown(`Groups: ${groups.join(', ')}\n\n`);
    tip.appendMarkdown(`Last result: ${describeLastResult(this.lastResults.get(name))}\n\n`);
    tip.appendMarkdown(`Session: ${describeState(state)}\n\n`);
    const provenance = host?.fleet && provenanceTable(host.fleet);
    if (provenance) tip.appendMarkdown(provenance);
    return tip;
  }

  private updateMessage(): void {
    const error = this.inventory.error;
    if (error) {
      this.view.message = `$(error) ${error}`;
      return;
    }
    const n = this.checked().length;
    const shown = this.filter.active ? this.filter.hosts().length : undefined;
    this.view.message =
      shown === 0
        ? `No host matches the filter "${this.filterText}"${this.filterProblem ? `: ${this.filterProblem}` : '.'}`
        : this.tree.hostNames.length && !n && shown === undefined
          ? 'Check hosts to run on them, or pick them when you run.'
          : undefined;
    this.view.badge = n ? { value: n, tooltip: `${n} host${n === 1 ? '' : 's'} checked` } : undefined;
  }

  /** Every host as its rows are drawn, one entry per host, in inventory order, whatever the filter (the extension API, used by the tests). */
  snapshot(): { name: string; description: string; tooltip: string; checked: boolean; state: SessionState; groups: string[]; lastResult: string }[] {
    return this.tree.hostNames.map((name) => {
      const item = this.hostItem({ kind: 'host', name, id: `h:${name}` });
      return {
        name,
        description: String(item.description ?? ''),
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? ''),
        checked: this.checkedSet.has(name),
        state: this.sessions.state(name),
        groups: [...this.tree.groupsOf(name)],
        lastResult: describeLastResult(this.lastResults.get(name)),
      };
    });
  }

  /** The tree as drawn, through the filter (the extension API, used by the tests). */
  rows(parent?: GroupNode): HostTreeRow[] {
    return this.getChildren(parent).map((node) => {
      const item = this.getTreeItem(node);
      const checked = typeof item.checkboxState === 'object' ? item.checkboxState.state === vscode.TreeItemCheckboxState.Checked : false;
      const row: HostTreeRow = {
        kind: node.kind,
        name: node.kind === 'group' ? node.group : node.name,
        id: node.id,
        description: String(item.description ?? ''),
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? ''),
        checked,
      };
      if (node.kind === 'group') {
        row.partial = this.tree.groupCheck(node.group, this.checkedSet).state === 'some';
        row.children = this.rows(node);
      }
      return row;
    });
  }

  /** A row by its id (as in HostTreeRow), for programmatic checks and reveal. */
  nodeById(id: string): HostsTreeNode | undefined {
    if (!this.nodes.has(id)) this.rows();
    return this.nodes.get(id);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

/** Host → the groups it is listed in itself (FleetHost.groups holds their ancestors too). */
function directGroups(groups: readonly { name: string; directHosts: string[] }[]): Map<string, string[]> {
  const byHost = new Map<string, string[]>();
  for (const g of groups) for (const h of g.directHosts) byHost.set(h, [...(byHost.get(h) ?? []), g.name]);
  return byHost;
}

function isFailure(status: string | undefined): boolean {
  return status !== undefined && status !== 'Completed';
}

const SETTING_LABEL: Record<FleetSetting, string> = {
  address: 'address',
  port: 'port',
  user: 'user',
  identityFiles: 'identity files',
  jumpChain: 'jump hosts',
  proxyCommand: 'ProxyCommand',
  shellType: 'shell',
  become: 'become',
  becomeUser: 'become user',
  becomeMethod: 'become method',
};

/** Where each setting came from, as a Markdown table: `port 2222 — ansible_port, inventory.ini:4 (group web)`. */
export function provenanceTable(host: import('../core').FleetHost): string {
  const value = (s: FleetSetting): string => {
    switch (s) {
      case 'address':
        return host.address;
      case 'port':
        return String(host.port);
      case 'user':
        return host.user;
      case 'identityFiles':
        return host.identityFiles.join(', ') || '—';
      case 'jumpChain':
        return host.jumpChain.join(' → ') || '—';
      case 'proxyCommand':
        return host.proxyCommand ?? '—';
      case 'shellType':
        return host.shellType;
      case 'become':
        return host.become.enabled ? 'yes' : 'no';
      case 'becomeUser':
        return host.become.user ?? 'root';
      case 'becomeMethod':
        return host.become.method ?? 'sudo';
    }
  };
  const rows = (Object.keys(SETTING_LABEL) as FleetSetting[])
    .filter((s) => host.provenance[s] && (host.provenance[s].kind !== 'default' || ['address', 'port', 'user'].includes(s)))
    .map((s) => `| ${SETTING_LABEL[s]} | \`${escapeCell(value(s))}\` | ${escapeCell(describeProvenance(host.provenance[s]))} |`);
  if (!rows.length) return '';
  return ['| setting | value | from |', '|---|---|---|', ...rows].join('\n') + '\n';
}

/** "ssh_config Port, config:12", "ansible_port in inventory.ini:4 (group web)", "default". */
export function describeProvenance(p: Provenance): string {
  const where = p.file ? `${path.basename(p.file)}${p.range ? `:${p.range.start.line + 1}` : ''}` : '';
  switch (p.kind) {
    case 'sshConfig':
      return `ssh_config ${p.key ?? ''}${where ? `, ${where}` : ''}`.trim();
    case 'inventory':
      return `${p.key ?? 'inventory'}${where ? ` in ${where}` : ''}${p.scope ? (p.scope === 'host' ? ' (host)' : ` (group ${p.scope})`) : ''}`;
    case 'target':
      return 'typed with the host name';
    default:
      return 'default';
  }
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'");
}

function describeState(state: SessionState): string {
  switch (state) {
    case 'none':
      return 'none (opened by the next run)';
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected (state from earlier runs is kept)';
    case 'busy':
      return 'busy (a run is in progress)';
    case 'broken':
      return 'broken (the connection was lost; the next run reports it, or reset the session)';
    case 'disconnected':
      return 'disconnected (the remote shell keeps its state; the next run reconnects to it)';
    default:
      return state;
  }
}
