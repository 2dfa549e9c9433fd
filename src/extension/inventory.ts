import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SshConfigFile, type ResolvedHost } from '../core';
import type { Settings } from './settings';
import { configFiles } from './sshConfigEditor';

export interface InventoryHost {
  /** The Host alias. */
  name: string;
  resolved?: ResolvedHost;
  /** Why the alias could not be resolved, if it could not. */
  problem?: string;
}

/**
 * The hosts of the ssh_config file (with its Includes), re-read when any of those files change
 * on disk or the setting points elsewhere. Loading is lazy: nothing is read at activation.
 */
export class HostInventory implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private config: SshConfigFile | undefined;
  private loadError: string | undefined;
  private watchers: fs.FSWatcher[] = [];
  private watchedKey = '';
  private debounce: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly settings: Settings) {
    this.subscriptions.push(
      settings.onDidChange((e) => {
        if (e.affectsConfiguration('remoteInvoke.sshConfigFile')) this.reload();
      }),
    );
  }

  get configPath(): string {
    return this.settings.sshConfigFile;
  }

  /** The parsed config; read on first use and after every change. */
  get sshConfig(): SshConfigFile {
    if (!this.config) {
      try {
        this.config = SshConfigFile.load(this.configPath);
        this.loadError = undefined;
      } catch (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        this.loadError = missing ? undefined : `cannot read ${this.configPath}: ${(err as Error).message}`;
        this.config = SshConfigFile.fromText('');
      }
      this.watch();
    }
    return this.config;
  }

  /** A problem reading the file (a missing file is not one: it is an empty inventory). */
  get error(): string | undefined {
    void this.sshConfig;
    return this.loadError;
  }

  hosts(): InventoryHost[] {
    const config = this.sshConfig;
    return config.hostAliases().map((name) => {
      try {
        return { name, resolved: config.resolve(name) };
      } catch (err) {
        return { name, problem: (err as Error).message };
      }
    });
  }

  has(name: string): boolean {
    return this.sshConfig.hostAliases().some((a) => a.toLowerCase() === name.toLowerCase());
  }

  /** Forget the parsed file; listeners re-read it. */
  reload(): void {
    this.config = undefined;
    this.changed.fire();
  }

  // Node's fs.watch on the directories (not the files): editors and our own writes often replace
  // a file by renaming, which a watch on the file itself would lose.
  private watch(): void {
    const files = configFiles(this.configPath).map((f) => path.resolve(f));
    const key = files.join('\0');
    if (key === this.watchedKey) return;
    this.unwatch();
    this.watchedKey = key;
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const dir = path.dirname(f);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(path.basename(f));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = fs.watch(dir, { persistent: false }, (_event, file) => {
          if (!file || names.has(file.toString()) || dir !== path.dirname(this.configPath)) this.scheduleReload();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        /* directory absent: Add Host creates it and reloads */
      }
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), 100);
  }

  private unwatch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.watchedKey = '';
  }

  dispose(): void {
    clearTimeout(this.debounce);
    this.unwatch();
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
