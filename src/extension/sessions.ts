import * as vscode from 'vscode';
import { SessionPool, type ConnectionSettings, type SessionState } from '../core';
import type { SessionOptions } from '../core';
import type { HostInventory } from './inventory';
import { InteractivePrompts, StoredSecretsOnly, type SecretVault } from './prompts';
import type { Settings } from './settings';

type DurableRecord = NonNullable<SessionOptions['record']>;
const RECORDS_KEY = 'remoteInvoke.durableSessions';
/** The hosts' durable PowerShell sessions, kept beside the POSIX ones. */
const PWSH_RECORDS_KEY = 'remoteInvoke.durablePwshSessions';
/** The root sessions ("Run as root"), durable like the user's own, kept apart. */
const ROOT_RECORDS_KEY = 'remoteInvoke.durableRootSessions';
const SAVE_MS = 500;

/** A host's POSIX session (/bin/sh), or its PowerShell session (pwsh, for .ps1 runs). */
export type SessionKind = 'posix' | 'pwsh';

/**
 * The persistent session of every host (the engine's SessionPool) and how to reach hosts:
 * connection settings built from the settings, the ssh_config file and UI prompts. Owns the
 * Reset Session and Forget Saved Passwords commands.
 *
 * Durable sessions (the default) outlive the connection: the remote shell keeps running when the
 * link drops or the window reloads. Each shell's record is kept in workspaceState, so the next
 * window reattaches to it — state and any output not yet received included.
 */
export class Sessions implements vscode.Disposable {
  readonly pool: SessionPool;
  private rootPool_: SessionPool | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<{ host: string; state: SessionState; kind: SessionKind }>();
  readonly onDidChangeState = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly inventory: HostInventory,
    private readonly vault: SecretVault,
    private readonly state_: vscode.Memento,
  ) {
    this.pool = new SessionPool({ durable: settings.durableSessions, idleTimeoutSeconds: settings.idleTimeoutSeconds });
    if (settings.durableSessions) {
      // Sessions a previous window left running: shown as disconnected, reattached by the next run.
      for (const [host, record] of Object.entries(this.records())) this.pool.session(host, { record });
      for (const [host, record] of Object.entries(this.state_.get<Record<string, DurableRecord>>(PWSH_RECORDS_KEY, {}))) {
        this.pool.pwshSession(host, { record });
      }
    }
    const onState = (host: string, state: SessionState) => {
      this.changed.fire({ host, state, kind: 'posix' });
      this.scheduleSave();
    };
    const onPwshState = (host: string, state: SessionState) => {
      this.changed.fire({ host, state, kind: 'pwsh' });
      this.scheduleSave();
    };
    const onRecord = () => this.scheduleSave();
    this.pool.on('state', onState);
    this.pool.on('pwshState', onPwshState);
    this.pool.on('record', onRecord);
    this.disposables.push(
      {
        dispose: () => {
          this.pool.off('state', onState);
          this.pool.off('pwshState', onPwshState);
          this.pool.off('record', onRecord);
        },
      },
      vscode.commands.registerCommand('remoteInvoke.resetSession', (arg?: unknown, more?: unknown) =>
        this.resetCommand(hostNamesFrom(arg, more)),
      ),
      vscode.commands.registerCommand('remoteInvoke.forgetPasswords', async () => {
        const n = await this.vault.forgetAll();
        void vscode.window.showInformationMessage(
          n ? `Remote Invoke: forgot ${n} saved password${n === 1 ? '' : 's'} or passphrase${n === 1 ? '' : 's'}.` : 'Remote Invoke: no saved passwords.',
        );
      }),
    );
  }

  state(host: string): SessionState {
    return this.pool.state(host);
  }

  /** The state of the host's PowerShell session. */
  pwshState(host: string): SessionState {
    return this.pool.pwshState(host);
  }

  private records(): Record<string, DurableRecord> {
    return this.state_.get<Record<string, DurableRecord>>(RECORDS_KEY, {});
  }

  // Offsets move with every line received; saving often keeps a reloaded window close to exact.
  private scheduleSave(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_MS);
  }

  private save(): Thenable<void> {
    const records: Record<string, DurableRecord> = {};
    for (const host of this.pool.hosts()) {
      const record = this.pool.session(host).record;
      if (record) records[host] = record;
    }
    const pwshRecords: Record<string, DurableRecord> = {};
    for (const host of this.pool.pwshHosts()) {
      const record = this.pool.pwshSession(host).record;
      if (record) pwshRecords[host] = record;
    }
    // Root records are left as they are until this window has used a root session.
    const rootRecords: Record<string, DurableRecord> = {};
    for (const host of this.rootPool_?.hosts() ?? []) {
      const record = this.rootPool_?.session(host).record;
      if (record) rootRecords[host] = record;
    }
    return Promise.all([
      this.state_.update(RECORDS_KEY, records),
      this.state_.update(PWSH_RECORDS_KEY, pwshRecords),
      ...(this.rootPool_ ? [this.state_.update(ROOT_RECORDS_KEY, rootRecords)] : []),
    ]).then(() => undefined);
  }

  /** How to reach hosts now: prompts are fresh per call, so credentials are asked at most once per run. */
  connectionSettings(): ConnectionSettings {
    return {
      sshConfig: this.inventory.sshConfig,
      strictHostKeyChecking: this.settings.strictHostKeyChecking,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      callbacks: new InteractivePrompts(this.vault),
    };
  }

  /** For background work (timers, polling): kept secrets are used, nothing is asked. */
  backgroundConnectionSettings(): ConnectionSettings {
    return { ...this.connectionSettings(), callbacks: new StoredSecretsOnly(this.vault) };
  }

  /** Saves the durable records now (after a deliberate detach or reattach). */
  flush(): Thenable<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    return this.save();
  }

  /** Ends the host's session — a durable shell too — so the next run starts afresh. */
  async reset(host: string): Promise<void> {
    await this.pool.reset(host, { ...this.connectionSettings(), callbacks: undefined });
    await this.rootPool_?.reset(host, { ...this.connectionSettings(), callbacks: undefined });
    await this.save();
  }

  /** Ends the host's PowerShell session only (a durable one's shell too); its POSIX session stays. */
  async resetPwsh(host: string): Promise<void> {
    await this.pool.resetPwsh(host, { ...this.connectionSettings(), callbacks: undefined });
    await this.save();
  }

  private async resetCommand(hosts: string[]): Promise<void> {
    if (!hosts.length) {
      const open = this.pool.hosts().filter((h) => this.pool.state(h) !== 'none');
      if (!open.length) {
        void vscode.window.showInformationMessage('Remote Invoke: no host has an open session.');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        open.map((h) => ({ label: h, description: this.pool.state(h), picked: true })),
        { title: 'Reset sessions', placeHolder: 'Sessions to close (state set by earlier runs is lost)', canPickMany: true },
      );
      hosts = picked?.map((p) => p.label) ?? [];
    }
    for (const h of hosts) await this.reset(h);
  }

  /**
   * Root sessions ("Run as root"): under sudo, apart from the user's own, made on first use;
   * durable like the user's (sudo is asked when a host's root shell starts, not per run), with
   * the root sessions' own idle timeout (rootDurable.ts).
   */
  get rootPool(): SessionPool {
    if (this.rootPool_) return this.rootPool_;
    const durable = this.settings.durableSessions;
    const pool = new SessionPool({ become: durable ? { user: 'root' } : {}, durable });
    if (durable) for (const [host, record] of Object.entries(this.state_.get<Record<string, DurableRecord>>(ROOT_RECORDS_KEY, {}))) pool.session(host, { record });
    const onRecord = () => this.scheduleSave();
    pool.on('record', onRecord);
    this.disposables.push({ dispose: () => pool.off('record', onRecord) });
    return (this.rootPool_ = pool);
  }

  dispose(): void {
    this.rootPool_?.dispose();
    clearTimeout(this.saveTimer);
    void this.save();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    // Detaches: durable shells keep running on their hosts for the next window.
    this.pool.dispose();
  }
}

/**
 * Host names from a command argument: a tree node, a name, `{ host }`/`{ hosts }`, or the
 * (node, selectedNodes) pair tree menus pass.
 */
export function hostNamesFrom(arg: unknown, more?: unknown): string[] {
  if (Array.isArray(more) && more.length) return more.flatMap((m) => hostNamesFrom(m));
  if (typeof arg === 'string') return [arg];
  if (Array.isArray(arg)) return arg.flatMap((a) => hostNamesFrom(a));
  if (arg && typeof arg === 'object') {
    const o = arg as { name?: unknown; host?: unknown; hosts?: unknown };
    if (typeof o.host === 'string') return [o.host];
    if (Array.isArray(o.hosts)) return o.hosts.filter((h): h is string => typeof h === 'string');
    if (typeof o.name === 'string') return [o.name];
  }
  return [];
}
