import * as vscode from 'vscode';
import { connector, queryStatus, SharedCredentials, type RemoteStatus, type SessionState } from '../core';
import type { OutputPanels } from './outputPanels';
import { formatSeconds as formatIdle } from './outputPanels';
import { hostNamesFrom, type Sessions } from './sessions';
import type { Settings } from './settings';

export const SESSIONS_VIEW_ID = 'remoteInvoke.sessions';

/** PowerShell's PSSession states, as the Sessions view shows them. */
export type SessionViewState = 'Opened' | 'Busy' | 'Connecting' | 'Disconnected' | 'Broken' | 'Closed';

export function sessionViewState(state: SessionState): SessionViewState {
  switch (state) {
    case 'connected':
      return 'Opened';
    case 'busy':
      return 'Busy';
    case 'connecting':
      return 'Connecting';
    case 'disconnected':
      return 'Disconnected';
    case 'broken':
      return 'Broken';
    default:
      return 'Closed';
  }
}

/** A session as the tree shows it; also what its menus pass to commands (`host`). */
export interface SessionNode {
  readonly host: string;
}

export interface SessionSnapshot {
  host: string;
  state: SessionViewState;
  description: string;
  tooltip: string;
  contextValue: string;
  durable: boolean;
  /** Seconds with nothing running, when known. */
  idleSeconds: number | undefined;
}

const ICONS: Record<SessionViewState, vscode.ThemeIcon> = {
  Opened: new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.green')),
  Busy: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  Connecting: new vscode.ThemeIcon('loading~spin'),
  Disconnected: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow')),
  Broken: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  Closed: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
};

/** Idle times shown are refreshed this often while the view is visible. */
const TICK_MS = 30_000;

/**
 * The Sessions view: each host's persistent session (Get-PSSession) with its state and idle time,
 * and Disconnect (the remote shell keeps running), Reconnect (reattach, collecting what a run left
 * in flight produced meanwhile), Remove (ends the remote shell, removes its files) and Open
 * Terminal. Redrawn on every session state change; the remote side is asked only on Refresh and
 * when the view is first shown, for sessions that are not attached.
 */
export class SessionsView implements vscode.TreeDataProvider<SessionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<SessionNode>;
  private readonly nodes = new Map<string, SessionNode>();
  /** Hosts whose session has been open in this window (or was left by an earlier one). */
  private readonly seen = new Set<string>();
  /** When each session last had nothing running. */
  private readonly idleSince = new Map<string, number>();
  private readonly busySince = new Map<string, number>();
  /** What the host said about a detached session, and when. */
  private readonly remote = new Map<string, { status: RemoteStatus; at: number }>();
  /** Sessions found ended (on the host, or by Reconnect): kept in the view as Closed until removed. */
  private readonly closed = new Map<string, string>();
  private ticker: NodeJS.Timeout | undefined;
  private queriedOnce = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly sessions: Sessions,
    private readonly outputs: OutputPanels,
    private readonly settings: Settings,
    /** The Hosts view's order (ssh_config order): sessions are listed the same way. */
    private readonly hostOrder: () => string[] = () => [],
  ) {
    for (const host of sessions.pool.hosts()) if (sessions.state(host) !== 'none') this.seen.add(host);
    this.view = vscode.window.createTreeView(SESSIONS_VIEW_ID, { treeDataProvider: this, canSelectMany: true });
    this.disposables.push(
      this.view,
      sessions.onDidChangeState(({ host, state }) => this.onState(host, state)),
      this.view.onDidChangeVisibility(() => this.onVisibility()),
      vscode.commands.registerCommand('remoteInvoke.disconnectSession', (arg?: unknown, more?: unknown) => this.each(arg, more, (h) => this.disconnect(h))),
      vscode.commands.registerCommand('remoteInvoke.reconnectSession', (arg?: unknown, more?: unknown) => this.each(arg, more, (h) => this.reconnect(h))),
      vscode.commands.registerCommand('remoteInvoke.removeSession', (arg?: unknown, more?: unknown) => this.each(arg, more, (h) => this.remove(h))),
      vscode.commands.registerCommand('remoteInvoke.refreshSessions', () => this.queryRemote(true)),
      vscode.commands.registerCommand('remoteInvoke.disconnectAllSessions', () => this.disconnectAll()),
      vscode.commands.registerCommand('remoteInvoke.removeAllSessions', (options?: { confirm?: boolean }) => this.removeAll(options?.confirm !== false)),
    );
    this.onVisibility();
  }

  private onState(host: string, state: SessionState): void {
    const now = Date.now();
    if (state !== 'none') {
      this.seen.add(host);
      this.closed.delete(host);
    }
    if (state === 'busy') this.busySince.set(host, this.busySince.get(host) ?? now);
    else if (this.busySince.has(host) || !this.idleSince.has(host)) {
      this.busySince.delete(host);
      this.idleSince.set(host, now);
    }
    if (state !== 'disconnected') this.remote.delete(host);
    this.refresh();
  }

  private onVisibility(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (!this.view.visible) return;
    this.ticker = setInterval(() => this.refresh(), TICK_MS);
    // Sessions an earlier window left: ask their hosts once whether they are still there.
    if (!this.queriedOnce) {
      this.queriedOnce = true;
      void this.queryRemote(false);
    }
  }

  refresh(): void {
    const has = this.hosts().length > 0;
    if (has !== this.hasSessions) {
      this.hasSessions = has;
      void vscode.commands.executeCommand('setContext', 'remoteInvoke.hasSessions', has);
    }
    this.changed.fire(undefined);
  }
  private hasSessions: boolean | undefined;

  /** Disconnect All (title bar): every durable session that is connected and idle; busy ones are left alone. */
  async disconnectAll(): Promise<void> {
    const hosts = this.hosts().filter((h) => this.stateOf(h) === 'Opened' && this.sessions.pool.session(h).options.durable);
    if (hosts.length) await this.each(undefined, hosts, (h) => this.disconnect(h));
  }

  /** Remove All (title bar), after one confirmation: ends every remote shell listed and removes its files. */
  async removeAll(confirm = true): Promise<void> {
    const hosts = this.hosts();
    if (!hosts.length) return;
    if (confirm) {
      const remove = 'Remove All';
      const choice = await vscode.window.showWarningMessage(
        `Remove ${hosts.length} session${hosts.length === 1 ? '' : 's'}?`,
        { modal: true, detail: 'Each remote shell ends, with its variables and working directory, and its files are removed from the host.' },
        remove,
      );
      if (choice !== remove) return;
    }
    await this.each(undefined, hosts, (h) => this.remove(h));
  }

  private async each(arg: unknown, more: unknown, action: (host: string) => Promise<unknown>): Promise<void> {
    let hosts = hostNamesFrom(arg, more);
    if (!hosts.length) {
      const picked = await vscode.window.showQuickPick(
        this.hosts().map((h) => ({ label: h, description: this.stateOf(h) })),
        { title: 'Sessions', canPickMany: true },
      );
      hosts = picked?.map((p) => p.label) ?? [];
    }
    const failures: string[] = [];
    await Promise.all(
      hosts.map((h) =>
        action(h).catch((err: Error) => {
          failures.push(`${h}: ${err.message}`);
        }),
      ),
    );
    if (failures.length) void vscode.window.showErrorMessage(`Remote Invoke: ${failures.join('; ')}`);
  }

  /** Drops the connection; a durable session's shell keeps running on the host (Disconnect-PSSession). */
  async disconnect(host: string): Promise<void> {
    const session = this.sessions.pool.session(host);
    if (!session.options.durable) throw new Error('only a durable session can be disconnected (remoteInvoke.durableSessions)');
    if (session.state === 'busy') throw new Error('a run is in progress; wait for it or cancel it first');
    session.detach();
    this.idleSince.set(host, Date.now());
    await this.sessions.flush();
  }

  /**
   * Reattaches to the remote shell (Connect-PSSession). A run a previous window left in flight is
   * collected into the host's output panel (Receive-PSSession).
   */
  async reconnect(host: string): Promise<void> {
    const session = this.sessions.pool.session(host);
    const base = this.sessions.connectionSettings();
    const settings = { ...base, credentials: new SharedCredentials(base.callbacks) };
    try {
      await session.open(settings);
    } catch (err) {
      if (session.state === 'none') this.markClosed(host, (err as Error).message);
      throw err;
    } finally {
      await this.sessions.flush();
    }
    if (session.record?.activeRunId === undefined) return;
    this.outputs.append(host, `▶ ${new Date().toLocaleTimeString(undefined, { hour12: false })}  received after reconnecting`);
    this.outputs.show(host);
    const started = Date.now();
    void session
      .receive(settings, { line: (_stream, line) => (this.outputs.append(host, line), true), drained: async () => {} })
      .then(
        (outcome) => {
          if (!outcome) return;
          const end = outcome.end;
          const exitCode = 'exitCode' in end ? end.exitCode : null;
          this.outputs.hostEnded({
            type: 'result',
            host,
            status: end.kind === 'connection-lost' ? 'Disconnected' : exitCode === 0 ? 'Completed' : 'Failed',
            exitCode,
            signal: end.kind === 'shell-ended' ? end.signal : null,
            durationMs: Date.now() - started,
            error: end.kind === 'connection-lost' ? end.error : null,
          });
        },
        (err: Error) => this.outputs.append(host, `■ ${err.message}`),
      )
      .finally(() => void this.sessions.flush());
  }

  /** Ends the remote shell and removes its files (Remove-PSSession); the next run opens a new session. */
  async remove(host: string): Promise<void> {
    this.closed.delete(host);
    this.seen.delete(host);
    this.remote.delete(host);
    this.idleSince.delete(host);
    this.busySince.delete(host);
    await this.sessions.reset(host);
    this.refresh();
  }

  private markClosed(host: string, why: string): void {
    this.closed.set(host, why);
    this.seen.delete(host);
    this.remote.delete(host);
    this.refresh();
  }

  /**
   * Asks the hosts of detached sessions how their shells are (idle time; still there?). With
   * `interactive`, a host may ask for a password; otherwise only kept secrets are used.
   */
  async queryRemote(interactive: boolean): Promise<void> {
    const detached = this.hosts().filter((h) => this.sessions.state(h) === 'disconnected');
    if (!detached.length) return this.refresh();
    const connectTo = connector(interactive ? this.sessions.connectionSettings() : this.sessions.backgroundConnectionSettings());
    await Promise.all(
      detached.map(async (host) => {
        const record = this.sessions.pool.session(host).record;
        if (!record) return;
        try {
          const client = await connectTo(host);
          try {
            const status = await queryStatus(client, record);
            if (this.sessions.state(host) !== 'disconnected') return;
            if (status.kind === 'gone' || status.kind === 'done') {
              // Its shell ended (exit in a script, idle timeout, removed elsewhere): the next run opens a new one.
              const why = status.kind === 'gone' ? 'the remote shell no longer exists (idle timeout, or removed)' : `the remote shell exited with code ${status.exitCode}`;
              if (status.kind === 'done') await this.sessions.reset(host);
              else this.sessions.pool.forget(host);
              await this.sessions.flush();
              this.markClosed(host, why);
            } else this.remote.set(host, { status, at: Date.now() });
          } finally {
            client.end();
          }
        } catch {
          /* unreachable now: it stays Disconnected */
        }
      }),
    );
    this.refresh();
  }

  private hosts(): string[] {
    const hosts = new Set<string>();
    for (const h of this.sessions.pool.hosts()) if (this.sessions.state(h) !== 'none' || this.seen.has(h)) hosts.add(h);
    for (const h of this.closed.keys()) hosts.add(h);
    const order = new Map(this.hostOrder().map((h, i) => [h, i]));
    const rank = (h: string) => order.get(h) ?? Number.MAX_SAFE_INTEGER;
    return [...hosts].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true }));
  }

  private stateOf(host: string): SessionViewState {
    return this.closed.has(host) ? 'Closed' : sessionViewState(this.sessions.state(host));
  }

  private idleSeconds(host: string): number | undefined {
    const state = this.stateOf(host);
    if (state !== 'Opened' && state !== 'Disconnected') return undefined;
    const remote = this.remote.get(host);
    const r = remote?.status.kind === 'running' ? remote.status : undefined;
    if (state === 'Disconnected' && r) return r.idleSeconds + Math.round((Date.now() - (remote as { at: number }).at) / 1000);
    const since = this.idleSince.get(host);
    return since === undefined ? undefined : Math.round((Date.now() - since) / 1000);
  }

  getChildren(element?: SessionNode): SessionNode[] {
    if (element) return [];
    const hosts = this.hosts();
    for (const h of hosts) if (!this.nodes.has(h)) this.nodes.set(h, { host: h });
    for (const h of [...this.nodes.keys()]) if (!hosts.includes(h)) this.nodes.delete(h);
    return hosts.map((h) => this.nodes.get(h) as SessionNode);
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    const host = node.host;
    const state = this.stateOf(host);
    const session = this.sessions.pool.hosts().includes(host) ? this.sessions.pool.session(host) : undefined;
    const durable = !!session?.options.durable && state !== 'Closed';
    const idle = this.idleSeconds(host);
    const busy = this.busySince.get(host);
    const item = new vscode.TreeItem(host, vscode.TreeItemCollapsibleState.None);
    item.id = `session:${host}`;
    item.iconPath = ICONS[state];
    const detail =
      state === 'Busy' && busy !== undefined
        ? `since ${new Date(busy).toLocaleTimeString(undefined, { hour12: false })}`
        : idle !== undefined
          ? `idle ${formatIdle(idle)}`
          : undefined;
    item.description = [state, detail].filter(Boolean).join(' · ');
    item.contextValue = `session.${state.toLowerCase()}${durable ? '.durable' : ''}`;

    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${host}** — ${state}\n\n`);
    tip.appendMarkdown(`${explain(state, durable)}\n\n`);
    if (durable && state !== 'Broken') {
      tip.appendMarkdown(
        `Durable: the remote shell outlives the connection and ends itself after ${formatIdle(this.settings.idleTimeoutSeconds)} with nobody attached and nothing running (\`remoteInvoke.idleTimeoutHours\`).\n\n`,
      );
    }
    if (idle !== undefined) tip.appendMarkdown(`Idle for ${formatIdle(idle)}${this.remote.has(host) ? ' (as the host counts it)' : ''}.\n\n`);
    const why = this.closed.get(host) ?? session?.brokenReason;
    if (why && (state === 'Closed' || state === 'Broken')) tip.appendMarkdown(`$(info) ${why}\n\n`);
    const dir = session?.record?.dir;
    if (dir && state !== 'Closed') tip.appendMarkdown(`Remote files: \`${dir}\``);
    item.tooltip = tip;
    item.accessibilityInformation = { label: `Session on ${host}, ${item.description}` };
    return item;
  }

  /** The view as drawn (the extension API, used by the tests). */
  snapshot(): SessionSnapshot[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      const state = this.stateOf(n.host);
      return {
        host: n.host,
        state,
        description: String(item.description ?? ''),
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? ''),
        contextValue: item.contextValue ?? '',
        durable: (item.contextValue ?? '').endsWith('.durable'),
        idleSeconds: this.idleSeconds(n.host),
      };
    });
  }

  dispose(): void {
    clearInterval(this.ticker);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

function explain(state: SessionViewState, durable: boolean): string {
  switch (state) {
    case 'Opened':
      return 'Connected; variables, functions and the working directory set by earlier runs are kept.';
    case 'Busy':
      return 'A run is in progress.';
    case 'Connecting':
      return 'Connecting and starting (or reattaching to) the remote shell.';
    case 'Disconnected':
      return durable
        ? 'Not connected; the remote shell keeps running with its state. Reconnect, or the next run, reattaches to it.'
        : 'Not connected.';
    case 'Broken':
      return 'The remote shell can no longer run anything. The next run opens a new session; Remove clears it now.';
    case 'Closed':
      return 'The remote shell has ended; the next run opens a new session.';
  }
}
