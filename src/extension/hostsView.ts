import * as vscode from 'vscode';
import { AGENT_FORWARDING_WARNING, type SessionState } from '../core';
import type { HostInventory, InventoryHost } from './inventory';
import type { Sessions } from './sessions';

export const HOSTS_VIEW_ID = 'remoteInvoke.hosts';
const CHECKED_KEY = 'remoteInvoke.checkedHosts';

/** A host as the tree shows it; also what tree menus pass to commands (`name`). */
export interface HostNode {
  readonly name: string;
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

/**
 * The Hosts view: the ssh_config hosts with a checkbox each (the checked ones are the default
 * targets of a run, remembered per workspace), the resolved user@host:port in the tooltip and
 * the session state in the icon and description. Empty, it shows the welcome content.
 */
export class HostsView implements vscode.TreeDataProvider<HostNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<HostNode>;
  private nodes = new Map<string, HostNode>();
  private hostsByName = new Map<string, InventoryHost>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly inventory: HostInventory,
    private readonly sessions: Sessions,
    private readonly state: vscode.Memento,
  ) {
    this.view = vscode.window.createTreeView(HOSTS_VIEW_ID, {
      treeDataProvider: this,
      showCollapseAll: false,
      canSelectMany: true,
      manageCheckboxStateManually: true,
    });
    this.disposables.push(
      this.view,
      this.view.onDidChangeCheckboxState((e) => this.onCheckboxes(e)),
      inventory.onDidChange(() => this.refresh()),
      sessions.onDidChangeState(({ host }) => this.refreshHost(host)),
      vscode.commands.registerCommand('remoteInvoke.refreshHosts', () => this.inventory.reload()),
      vscode.commands.registerCommand('remoteInvoke.checkAllHosts', () => this.setChecked(this.inventory.hosts().map((h) => h.name))),
      vscode.commands.registerCommand('remoteInvoke.uncheckAllHosts', () => this.setChecked([])),
    );
  }

  /** Checked host names that still exist in the inventory, in inventory order. */
  checked(): string[] {
    const checked = new Set(this.state.get<string[]>(CHECKED_KEY, []));
    return this.inventory.hosts().filter((h) => checked.has(h.name)).map((h) => h.name);
  }

  async setChecked(names: string[]): Promise<void> {
    await this.state.update(CHECKED_KEY, [...new Set(names)]);
    this.refresh();
  }

  private async onCheckboxes(e: vscode.TreeCheckboxChangeEvent<HostNode>): Promise<void> {
    const checked = new Set(this.state.get<string[]>(CHECKED_KEY, []));
    for (const [node, state] of e.items) {
      if (state === vscode.TreeItemCheckboxState.Checked) checked.add(node.name);
      else checked.delete(node.name);
    }
    await this.state.update(CHECKED_KEY, [...checked]);
    this.updateMessage();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private refreshHost(host: string): void {
    const node = this.nodes.get(host);
    if (node) this.changed.fire(node);
  }

  getChildren(element?: HostNode): HostNode[] {
    if (element) return [];
    const hosts = this.inventory.hosts();
    this.hostsByName = new Map(hosts.map((h) => [h.name, h]));
    const nodes = new Map<string, HostNode>();
    for (const h of hosts) nodes.set(h.name, this.nodes.get(h.name) ?? { name: h.name });
    this.nodes = nodes;
    this.updateMessage();
    return [...nodes.values()];
  }

  /** Whether the extension's own setting forwards the agent to a host (ssh_config's ForwardAgent is read here). */
  forwardsAgent: (host: string) => boolean = () => false;
  private readonly annotations = new Map<string, { description: string; tooltip: string }>();

  /** Adds a note to a host's row (description and tooltip), e.g. the outcome of Test Connection. */
  annotate(host: string, note: { description: string; tooltip: string }): void {
    this.annotations.set(host, note);
    this.refresh();
  }

  getTreeItem(node: HostNode): vscode.TreeItem {
    const host = this.hostsByName.get(node.name);
    const state = this.sessions.state(node.name);
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.id = node.name;
    item.iconPath = host?.problem ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : STATE_ICON[state] ?? UNKNOWN_STATE_ICON;
    const r = host?.resolved;
    const address = r ? `${r.user}@${r.hostName}:${r.port}` : undefined;
    item.description = [state === 'none' ? undefined : state, address].filter(Boolean).join(' · ');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${node.name}**\n\n`);
    if (r) {
      tip.appendMarkdown(`\`${r.user}@${r.hostName}:${r.port}\`\n\n`);
      if (r.proxyJump) tip.appendMarkdown(`via ProxyJump \`${r.proxyJump}\`\n\n`);
      if (r.forwardAgent || this.forwardsAgent(node.name)) tip.appendMarkdown(`$(key) **Agent forwarding is on.** ${AGENT_FORWARDING_WARNING}\n\n`);
    }
    if (host?.problem) tip.appendMarkdown(`$(warning) ${host.problem}\n\n`);
    tip.appendMarkdown(`Session: ${describeState(state)}`);
    const note = this.annotations.get(node.name);
    if (note) {
      // What Test Connection found (and agent forwarding's warning), after the host's own lines.
      item.description = [item.description, note.description].filter(Boolean).join(' · ');
      tip.appendMarkdown('\n\n---\n\n');
      tip.appendCodeblock(note.tooltip, 'text');
    }
    item.tooltip = tip;
    item.checkboxState = {
      state: this.isChecked(node.name) ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      tooltip: 'Run on this host',
      accessibilityInformation: { label: `Run on ${node.name}` },
    };
    item.contextValue = state === 'none' ? 'host' : 'host.session';
    item.accessibilityInformation = { label: `${node.name}${address ? `, ${address}` : ''}, session ${state}` };
    return item;
  }

  private isChecked(name: string): boolean {
    return this.state.get<string[]>(CHECKED_KEY, []).includes(name);
  }

  private updateMessage(): void {
    const error = this.inventory.error;
    if (error) {
      this.view.message = `$(error) ${error}`;
      return;
    }
    const n = this.checked().length;
    this.view.message = this.nodes.size && !n ? 'Check hosts to run on them, or pick them when you run.' : undefined;
    this.view.badge = n ? { value: n, tooltip: `${n} host${n === 1 ? '' : 's'} checked` } : undefined;
  }

  /** The tree as rendered (the extension API, used by the tests). */
  snapshot(): { name: string; description: string; tooltip: string; checked: boolean; state: SessionState }[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      return {
        name: n.name,
        description: String(item.description ?? ''),
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? ''),
        checked: item.checkboxState !== undefined && (item.checkboxState as { state: vscode.TreeItemCheckboxState }).state === vscode.TreeItemCheckboxState.Checked,
        state: this.sessions.state(n.name),
      };
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
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
