import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultSshConfigPath, type StrictHostKeyChecking } from '../core';

/** The `remoteInvoke.*` settings, read in this one place. Other features ask this class, never the configuration. */
export class Settings implements vscode.Disposable {
  static readonly section = 'remoteInvoke';
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  /** Fires when any `remoteInvoke.*` setting changes. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Settings.section)) this.changed.fire(e);
    });
  }

  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Settings.section);
  }

  /** Absolute path of the ssh_config file the hosts come from. */
  get sshConfigFile(): string {
    const configured = this.config.get<string>('sshConfigFile', '').trim();
    if (!configured) return defaultSshConfigPath();
    if (configured === '~') return os.homedir();
    if (configured.startsWith('~/')) return path.join(os.homedir(), configured.slice(2));
    return path.resolve(configured);
  }

  /**
   * The user's cap on hosts in flight, or undefined when they set none: the engine's default then
   * limits only the handshakes of near hosts (see HandshakeGate), which is fast at any distance.
   */
  get throttleLimit(): number | undefined {
    const set = this.config.inspect<number>('throttleLimit');
    const value = set?.workspaceFolderValue ?? set?.workspaceValue ?? set?.globalValue;
    return value === undefined ? undefined : Math.max(1, Math.floor(value));
  }

  /** Per host; undefined = no limit. */
  get timeoutMs(): number | undefined {
    const s = this.config.get<number>('timeoutSeconds', 0);
    return s > 0 ? s * 1000 : undefined;
  }

  get connectTimeoutMs(): number | undefined {
    const s = this.config.get<number>('connectTimeoutSeconds', 0);
    return s > 0 ? s * 1000 : undefined;
  }

  /** Interpreter forced for every run; undefined = chosen by shebang / file extension. */
  get defaultShell(): string | undefined {
    return this.config.get<string>('defaultShell', '').trim() || undefined;
  }

  get convertCrlf(): boolean {
    return this.config.get<boolean>('convertCrlf', true);
  }

  /** Output kept per host and run for the results view and the output documents. */
  get outputLimitBytes(): number {
    return Math.max(1024, this.config.get<number>('outputLimitBytes', 1_048_576));
  }

  /** undefined = what ssh_config says (OpenSSH's default there is `ask`). */
  get strictHostKeyChecking(): StrictHostKeyChecking | undefined {
    const v = this.config.get<string>('strictHostKeyChecking', 'sshConfig');
    return v === 'yes' || v === 'no' || v === 'ask' || v === 'accept-new' ? v : undefined;
  }

  get persistentSessions(): boolean {
    return this.config.get<boolean>('persistentSessions', true);
  }

  /** Read when the window starts: sessions already open keep the kind they were opened with. */
  get durableSessions(): boolean {
    return this.persistentSessions && this.config.get<boolean>('durableSessions', true);
  }

  /**
   * Durable sessions and background jobs: how long a remote shell with nobody attached and
   * nothing running stays on its host before it ends itself and removes its files.
   */
  get idleTimeoutSeconds(): number {
    const hours = this.config.get<number>('idleTimeoutHours', 4);
    return Math.max(60, Math.round((Number.isFinite(hours) && hours > 0 ? hours : 4) * 3600));
  }

  /**
   * Absolute paths of the Ansible inventories (`remoteInvoke.inventoryFiles`): `~` expanded,
   * relative paths taken from the first workspace folder.
   */
  get inventoryFiles(): string[] {
    const configured = this.config.get<unknown>('inventoryFiles', []);
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return (Array.isArray(configured) ? configured : [])
      .filter((f): f is string => typeof f === 'string' && f.trim() !== '')
      .map((f) => {
        const p = f.trim();
        if (p === '~') return os.homedir();
        if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
        return path.isAbsolute(p) || !base ? path.resolve(p) : path.resolve(base, p);
      });
  }

  /** `remoteInvoke.runAsRoot` (per workspace): runs start with "Run as root" on. */
  get runAsRoot(): boolean {
    return this.config.get<boolean>('runAsRoot', false);
  }

  /** `remoteInvoke.forwardAgentHosts`: the hosts a run forwards the local ssh-agent to (ssh_config's ForwardAgent also counts). */
  get forwardAgentHosts(): string[] {
    const configured = this.config.get<unknown>('forwardAgentHosts', []);
    return (Array.isArray(configured) ? configured : []).filter((h): h is string => typeof h === 'string' && h.trim() !== '').map((h) => h.trim());
  }

  /** A run on more hosts than this asks first (`remoteInvoke.confirmAbove`); 0 never asks. */
  get confirmAbove(): number {
    const n = this.config.get<number>('confirmAbove', 20);
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 20;
  }

  get promptForArguments(): boolean {
    return this.config.get<boolean>('promptForArguments', true);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
