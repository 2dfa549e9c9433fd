import * as vscode from 'vscode';
import { connector, queryStatus, SharedCredentials, type HostSession, type RemoteStatus, type SessionState } from '../core';
import type { OutputPanels } from './outputPanels';
import { formatSeconds as formatIdle } from './outputPanels';
import { hostNamesFrom, type SessionKind, type Sessions } from './sessions';
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

/** A session as the tree shows it; also what its menus pass to commands (`host`, `kind`). */
export interface SessionNode {
  readonly host: string;
  readonly kind: SessionKind;
}

/** How a row names its shell, at the end of its description. */
const SHELL_NAME: Record<SessionKind, string> = { posix: 'sh', pwsh: 'pwsh' };

/** Maps of this view are keyed by row: the host, or `pwsh:<host>` for its PowerShell session. */
function rowKey(node: SessionNode): string {
  return node.kind === 'pwsh' ? `pwsh:${node.host}` : node.host;
}

function isSessionNode(arg: unknown): arg is SessionNode {
  return !!arg && typeof arg === 'object' && typeof (arg as SessionNode).host === 'string' && ((arg as SessionNode).kind === 'posix' || (arg as SessionNode).kind === 'pwsh');
}

export interface SessionSnapshot {
  host: string;
  /** The session's shell: POSIX (/bin/sh) or PowerShell. */
  kind: SessionKind;
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
 * The Sessions view: each host's persistent sessions (Get-PSSession) — its POSIX shell and its
 * PowerShell, each a row whose description ends with the shell's name — with state and idle time,
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
  /** Rows (rowKey) whose session has been open in this window (or was left by an earlier one). */
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
    for (const host of sessions.pool.pwshHosts()) if (sessions.pwshState(host) !== 'none') this.seen.add(rowKey({ host, kind: 'pwsh' }));
    this.view = vscode.window.createTreeView(SESSIONS_VIEW_ID, { treeDataProvider: this, canSelectMany: true });
    this.disposables.push(
      this.view,
      sessions.onDidChangeState(({ host, state, kind }) => this.onState({ host, kind }, state)),
      this.view.onDidChangeVisibility(() => this.onVisibility()),
      vscode.commands.registerCommand('remoteInvoke.disconnectSession', async (arg?: unknown, more?: unknown) => this.each(await this.nodesFrom(arg, more), (n) => this.disconnect(n))),
      vscode.commands.registerCommand('remoteInvoke.reconnectSession', async (arg?: unknown, more?: unknown) => this.each(await this.nodesFrom(arg, more), (n) => this.reconnect(n))),
      vscode.commands.registerCommand('remoteInvoke.removeSession', async (arg?: unknown, more?: unknown) => this.each(await this.nodesFrom(arg, more), (n) => this.remove(n))),
      vscode.commands.registerCommand('remoteInvoke.refreshSessions', () => this.queryRemote(true)),
      vscode.commands.registerCommand('remoteInvoke.disconnectAllSessions', () => this.disconnectAll()),
      vscode.commands.registerCommand('remoteInvoke.removeAllSessions', (options?: { confirm?: boolean }) => this.removeAll(options?.confirm !== false)),
    );
    this.onVisibility();
  }

  private onState(node: SessionNode, state: SessionState): void {
    const now = Date.now();
    const key = rowKey(node);
    if (state !== 'none') {
      this.seen.add(key);
      this.closed.delete(key);
    }
    if (state === 'busy') this.busySince.set(key, this.busySince.get(key) ?? now);
    else if (this.busySince.has(key) || !this.idleSince.has(key)) {
      this.busySince.delete(key);
      this.idleSince.set(key, now);
    }
    if (state !== 'disconnected') this.remote.delete(key);
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
    const has = this.rows().length > 0;
    if (has !== this.hasSessions) {
      this.hasSessions = has;
      void vscode.commands.executeCommand('setContext', 'remoteInvoke.hasSessions', has);
    }
    this.changed.fire(undefined);
  }
  private hasSessions: boolean | undefined;

  /** Disconnect All (title bar): every durable session that is connected and idle; busy ones are left alone. */
  async disconnectAll(): Promise<void> {
    const rows = this.rows().filter((n) => this.stateOf(n) === 'Opened' && this.sessionOf(n)?.options.durable);
    await this.each(rows, (n) => this.disconnect(n));
  }

  /** Remove All (title bar), after one confirmation: ends every remote shell listed and removes its files. */
  async removeAll(confirm = true): Promise<void> {
    const hosts = this.rows();
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
    // A POSIX row's removal resets the whole host (its PowerShell session too): its PowerShell row goes first.
    await this.each(hosts.filter((n) => n.kind === 'pwsh'), (n) => this.remove(n));
    await this.each(hosts.filter((n) => n.kind === 'posix'), (n) => this.remove(n));
  }

  /**
   * The rows a command is for: the rows a tree menu passes, or every session of the hosts named;
   * with none, a pick of the rows.
   */
  private async nodesFrom(arg: unknown, more: unknown): Promise<SessionNode[]> {
    if (Array.isArray(more) && more.length && more.every(isSessionNode)) return more;
    if (isSessionNode(arg)) return [arg];
    const hosts = hostNamesFrom(arg, more);
    if (hosts.length) {
      const rows = this.rows().filter((n) => hosts.includes(n.host));
      // A host with no session listed yet: its POSIX session (Reconnect opens it).
      return [...rows, ...hosts.filter((h) => !rows.some((n) => n.host === h)).map((host) => ({ host, kind: 'posix' as const }))];
    }
    const picked = await vscode.window.showQuickPick(
      this.rows().map((n) => ({ label: n.host, description: `${this.stateOf(n)} · ${SHELL_NAME[n.kind]}`, node: n })),
      { title: 'Sessions', canPickMany: true },
    );
    return picked?.map((p) => p.node) ?? [];
  }

  /** The action on every row at once; failures are said together, one line per row. */
  private async each(nodes: SessionNode[], action: (node: SessionNode) => Promise<unknown>): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      nodes.map((n) =>
        action(n).catch((err: Error) => {
          failures.push(`${n.host}${n.kind === 'pwsh' ? ' (pwsh)' : ''}: ${err.message}`);
        }),
      ),
    );
    if (failures.length) void vscode.window.showErrorMessage(`Remote Invoke: ${failures.join('; ')}`);
  }

  /** The row's session in the pool, if it is there. */
  private sessionOf(node: SessionNode): HostSession | undefined {
    const pool = this.sessions.pool;
    if (node.kind === 'pwsh') return pool.pwshHosts().includes(node.host) ? pool.pwshSession(node.host) : undefined;
    return pool.hosts().includes(node.host) ? pool.session(node.host) : undefined;
  }

  private stateIn(node: SessionNode): SessionState {
    return node.kind === 'pwsh' ? this.sessions.pwshState(node.host) : this.sessions.state(node.host);
  }

  /** Drops the connection; a durable session's shell keeps running on the host (Disconnect-PSSession). */
  async disconnect(node: SessionNode): Promise<void> {
    const session = this.sessionOf(node);
    if (!session) throw new Error('there is no session to disconnect');
    if (!session.options.durable) throw new Error('only a durable session can be disconnected (remoteInvoke.durableSessions)');
    if (session.state === 'busy') throw new Error('a run is in progress; wait for it or cancel it first');
    session.detach();
    this.idleSince.set(rowKey(node), Date.now());
    await this.sessions.flush();
  }

  /**
   * Reattaches to the remote shell (Connect-PSSession). A run a previous window left in flight is
   * collected into the host's output panel (Receive-PSSession).
   */
  async reconnect(node: SessionNode): Promise<void> {
    const host = node.host;
    const session = node.kind === 'pwsh' ? this.sessions.pool.pwshSession(host) : this.sessions.pool.session(host);
    const base = this.sessions.connectionSettings();
    const settings = { ...base, credentials: new SharedCredentials(base.callbacks) };
    try {
      await session.open(settings);
    } catch (err) {
      if (session.state === 'none') this.markClosed(node, (err as Error).message);
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

  /**
   * Ends the remote shell and removes its files (Remove-PSSession); the next run opens a new
   * session. A PowerShell row ends that session only; a POSIX row resets the host (Reset Session).
   */
  async remove(node: SessionNode): Promise<void> {
    const keys = node.kind === 'pwsh' ? [rowKey(node)] : [node.host, rowKey({ host: node.host, kind: 'pwsh' })];
    for (const key of keys) {
      this.closed.delete(key);
      this.seen.delete(key);
      this.remote.delete(key);
      this.idleSince.delete(key);
      this.busySince.delete(key);
    }
    if (node.kind === 'pwsh') await this.sessions.resetPwsh(node.host);
    else await this.sessions.reset(node.host);
    this.refresh();
  }

  private markClosed(node: SessionNode, why: string): void {
    const key = rowKey(node);
    this.closed.set(key, why);
    this.seen.delete(key);
    this.remote.delete(key);
    this.refresh();
  }

  /**
   * Asks the hosts of detached sessions how their shells are (idle time; still there?). With
   * `interactive`, a host may ask for a password; otherwise only kept secrets are used.
   */
  async queryRemote(interactive: boolean): Promise<void> {
    // POSIX sessions: their shells answer queryStatus (a PowerShell session is asked by its next run).
    const detached = this.rows()
      .filter((n) => n.kind === 'posix' && this.sessions.state(n.host) === 'disconnected')
      .map((n) => n.host);
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
              this.markClosed({ host, kind: 'posix' }, why);
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

  /** The rows, in the Hosts view's order (ssh_config order), a host's POSIX session before its PowerShell one. */
  private rows(): SessionNode[] {
    const rows = new Map<string, SessionNode>();
    const add = (node: SessionNode) => rows.set(rowKey(node), node);
    const pool = this.sessions.pool;
    for (const host of pool.hosts()) if (this.sessions.state(host) !== 'none' || this.seen.has(host)) add({ host, kind: 'posix' });
    for (const host of pool.pwshHosts()) {
      const node: SessionNode = { host, kind: 'pwsh' };
      if (this.sessions.pwshState(host) !== 'none' || this.seen.has(rowKey(node))) add(node);
    }
    for (const key of this.closed.keys()) add(key.startsWith('pwsh:') ? { host: key.slice(5), kind: 'pwsh' } : { host: key, kind: 'posix' });
    const order = new Map(this.hostOrder().map((h, i) => [h, i]));
    const rank = (h: string) => order.get(h) ?? Number.MAX_SAFE_INTEGER;
    return [...rows.values()].sort(
      (a, b) => rank(a.host) - rank(b.host) || a.host.localeCompare(b.host, undefined, { numeric: true }) || (a.kind === b.kind ? 0 : a.kind === 'posix' ? -1 : 1),
    );
  }

  private stateOf(node: SessionNode): SessionViewState {
    return this.closed.has(rowKey(node)) ? 'Closed' : sessionViewState(this.stateIn(node));
  }

  private idleSeconds(node: SessionNode): number | undefined {
    const host = rowKey(node);
    const state = this.stateOf(node);
    if (state !== 'Opened' && state !== 'Disconnected') return undefined;
    const remote = this.remote.get(host);
    const r = remote?.status.kind === 'running' ? remote.status : undefined;
    if (state === 'Disconnected' && r) return r.idleSeconds === null ? undefined : r.idleSeconds + Math.round((Date.now() - (remote as { at: number }).at) / 1000);
    const since = this.idleSince.get(host);
    return since === undefined ? undefined : Math.round((Date.now() - since) / 1000);
  }

  getChildren(element?: SessionNode): SessionNode[] {
    if (element) return [];
    const rows = this.rows();
    const keys = new Set(rows.map(rowKey));
    for (const n of rows) if (!this.nodes.has(rowKey(n))) this.nodes.set(rowKey(n), n);
    for (const k of [...this.nodes.keys()]) if (!keys.has(k)) this.nodes.delete(k);
    return rows.map((n) => this.nodes.get(rowKey(n)) as SessionNode);
  }

  /** Rows have no parent (TreeView.reveal needs this). */
  getParent(): undefined {
    return undefined;
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    const host = node.host;
    const state = this.stateOf(node);
    const session = this.sessionOf(node);
    const durable = !!session?.options.durable && state !== 'Closed';
    const idle = this.idleSeconds(node);
    const busy = this.busySince.get(rowKey(node));
    const item = new vscode.TreeItem(host, vscode.TreeItemCollapsibleState.None);
    item.id = `session:${rowKey(node)}`;
    item.iconPath = ICONS[state];
    const detail =
      state === 'Busy' && busy !== undefined
        ? `since ${new Date(busy).toLocaleTimeString(undefined, { hour12: false })}`
        : idle !== undefined
          ? `idle ${formatIdle(idle)}`
          : undefined;
    item.description = [state, detail, SHELL_NAME[node.kind]].filter(Boolean).join(' · ');
    item.contextValue = `session.${state.toLowerCase()}${durable ? '.durable' : ''}`;

    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${host}** — ${node.kind === 'pwsh' ? 'PowerShell session (pwsh)' : 'POSIX shell session (/bin/sh)'} — ${state}\n\n`);
    tip.appendMarkdown(`${explain(state, durable)}\n\n`);
    if (durable && state !== 'Broken') {
      tip.appendMarkdown(
        `Durable: the remote shell outlives the connection and ends itself after ${formatIdle(this.settings.idleTimeoutSeconds)} with nobody attached and nothing running (\`remoteInvoke.idleTimeoutHours\`).\n\n`,
      );
    }
    if (idle !== undefined) tip.appendMarkdown(`Idle for ${formatIdle(idle)}${this.remote.has(host) ? ' (as the host counts it)' : ''}.\n\n`);
    const why = this.closed.get(rowKey(node)) ?? session?.brokenReason;
    if (why && (state === 'Closed' || state === 'Broken')) tip.appendMarkdown(`$(info) ${why}\n\n`);
    const dir = session?.record?.dir;
    if (dir && state !== 'Closed') tip.appendMarkdown(`Remote files: \`${dir}\``);
    item.tooltip = tip;
    item.accessibilityInformation = { label: `${node.kind === 'pwsh' ? 'PowerShell session' : 'Session'} on ${host}, ${item.description}` };
    return item;
  }

  /** The view as drawn (the extension API, used by the tests). */
  snapshot(): SessionSnapshot[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      const state = this.stateOf(n);
      return {
        host: n.host,
        kind: n.kind,
        state,
        description: String(item.description ?? ''),
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? ''),
        contextValue: item.contextValue ?? '',
        durable: (item.contextValue ?? '').endsWith('.durable'),
        idleSeconds: this.idleSeconds(n),
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
