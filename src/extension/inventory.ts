import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hostConfigProblems, loadFleet, SshConfigFile, type Fleet, type FleetGroup, type FleetHost, type ResolvedHost } from '../core';
import type { Settings } from './settings';
import { configFiles } from './sshConfigEditor';

export interface InventoryHost {
  /** The Host alias. */
  name: string;
  resolved?: ResolvedHost;
  /** Why the alias could not be resolved, if it could not. */
  problem?: string;
  /** The fleet's view of the host: groups, variables, where each setting came from. */
  fleet?: FleetHost;
}

/**
 * The fleet: the hosts of the ssh_config file (with its Includes and `Tag` groups) and of the
 * Ansible inventories in `remoteInvoke.inventoryFiles`, re-read when any of those files change on
 * disk or the settings point elsewhere. Loading is lazy: nothing is read at activation.
 */
export class HostInventory implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private config: SshConfigFile | undefined;
  private loaded: { fleet: Fleet; hosts: InventoryHost[]; byName: Map<string, InventoryHost> } | undefined;
  private loadError: string | undefined;
  private watchers: fs.FSWatcher[] = [];
  private watchedKey = '';
  private debounce: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly settings: Settings) {
    this.subscriptions.push(
      settings.onDidChange((e) => {
        if (e.affectsConfiguration('remoteInvoke.sshConfigFile') || e.affectsConfiguration('remoteInvoke.inventoryFiles')) this.reload();
      }),
    );
  }

  get configPath(): string {
    return this.settings.sshConfigFile;
  }

  /** The Ansible inventories read with the ssh_config (absolute paths). */
  get inventoryFiles(): string[] {
    return this.settings.inventoryFiles;
  }

  /**
   * What runs connect with: the ssh_config with the inventories' variables on top, so an
   * inventory host (or an alias an inventory overrides) resolves as the CLI's `-i` does.
   */
  get sshConfig(): SshConfigFile {
    return this.load().fleet.sshConfig;
  }

  /** The parsed ssh_config file itself; read on first use and after every change. */
  private get baseConfig(): SshConfigFile {
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

  /**
   * A problem reading the files (a missing ssh_config is not one: it is an empty inventory), or
   * the first error in an inventory, with its file and line. Warnings are the language server's.
   */
  get error(): string | undefined {
    const { fleet } = this.load();
    if (this.loadError) return this.loadError;
    const d = fleet.diagnostics.find((x) => x.severity === 'error');
    return d ? `${d.file}:${d.range.start.line + 1}: ${d.message}` : undefined;
  }

  /** The fleet model (ssh_config + inventories), as the CLI's `-i` reads it. */
  get fleet(): Fleet {
    return this.load().fleet;
  }

  /** Every host: ssh_config aliases first, then the inventories' hosts. */
  hosts(): InventoryHost[] {
    return this.load().hosts;
  }

  host(name: string): InventoryHost | undefined {
    return this.load().byName.get(name);
  }

  groups(): readonly FleetGroup[] {
    return this.load().fleet.groups;
  }

  /** An ssh_config alias of that name exists (Add Host must not make a second one). */
  has(name: string): boolean {
    return this.baseConfig.hostAliases().some((a) => a.toLowerCase() === name.toLowerCase());
  }

  /** Forget the parsed files; listeners re-read them. */
  reload(): void {
    this.config = undefined;
    this.loaded = undefined;
    this.changed.fire();
  }

  private load(): NonNullable<HostInventory['loaded']> {
    if (this.loaded) return this.loaded;
    const sshConfig = this.baseConfig;
    let fleet: Fleet;
    try {
      fleet = loadFleet({ sshConfig, inventoryFiles: this.inventoryFiles });
    } catch (err) {
      this.loadError = `cannot read the inventories: ${(err as Error).message}`;
      fleet = loadFleet({ sshConfig });
    }
    const hosts = fleet.hosts.map((h): InventoryHost => {
      try {
        const resolved = fleet.resolve(h.name);
        // A value that cannot work (Port abc) is a warning on the host's row before any run.
        const problems = hostConfigProblems(resolved);
        return { name: h.name, resolved, problem: problems.length ? problems.join('; ') : undefined, fleet: h };
      } catch (err) {
        return { name: h.name, problem: (err as Error).message, fleet: h };
      }
    });
    this.loaded = { fleet, hosts, byName: new Map(hosts.map((h) => [h.name, h])) };
    this.watch();
    return this.loaded;
  }

  // Node's fs.watch on the directories (not the files): editors and our own writes often replace
  // a file by renaming, which a watch on the file itself would lose.
  private watch(): void {
    const files = [...configFiles(this.configPath), ...this.inventoryFiles].map((f) => path.resolve(f));
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
          if (!file || names.has(file.toString()) || (dir !== path.dirname(this.configPath) && !this.inventoryFiles.some((f) => path.dirname(f) === dir))) this.scheduleReload();
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
