import * as vscode from 'vscode';
import { SessionPool, type ConnectionSettings, type SessionState } from '../core';
import type { HostInventory } from './inventory';
import { InteractivePrompts, type SecretVault } from './prompts';
import type { Settings } from './settings';

/**
 * The persistent session of every host (the engine's SessionPool) and how to reach hosts:
 * connection settings built from the settings, the ssh_config file and UI prompts. Owns the
 * Reset Session and Forget Saved Passwords commands.
 */
export class Sessions implements vscode.Disposable {
  readonly pool = new SessionPool();
  private readonly changed = new vscode.EventEmitter<{ host: string; state: SessionState }>();
  readonly onDidChangeState = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly inventory: HostInventory,
    private readonly vault: SecretVault,
  ) {
    const onState = (host: string, state: SessionState) => this.changed.fire({ host, state });
    this.pool.on('state', onState);
    this.disposables.push(
      { dispose: () => this.pool.off('state', onState) },
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

  /** How to reach hosts now: prompts are fresh per call, so credentials are asked at most once per run. */
  connectionSettings(): ConnectionSettings {
    return {
      sshConfig: this.inventory.sshConfig,
      strictHostKeyChecking: this.settings.strictHostKeyChecking,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      callbacks: new InteractivePrompts(this.vault),
    };
  }

  async reset(host: string): Promise<void> {
    await this.pool.reset(host);
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

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    void this.pool.dispose();
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
