import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostInventory } from './inventory';
import { hostNamesFrom } from './sessions';
import {
  insertHostBlock,
  locateHost,
  parseHostSpec,
  removeHostBlock,
  renderHostBlock,
  suggestAlias,
  validateAlias,
  type HostSpec,
} from './sshConfigEditor';

/** Programmatic form of remoteInvoke.addHost: no prompts. */
export interface AddHostOptions {
  /** `user@host[:port]` or an `ssh …` command line. */
  spec: string;
  alias?: string;
}

/**
 * Add Host / Edit Host / Remove Host / Open SSH Config. Add follows Remote-SSH: the user types
 * `user@host[:port]` or an ssh command and a name, and a Host block is appended to the ssh_config
 * file; nothing else in the file changes.
 */
export class HostCommands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];
  private readonly added = new vscode.EventEmitter<string>();
  /** A host was added (the Hosts view selects it). */
  readonly onDidAddHost = this.added.event;

  constructor(private readonly inventory: HostInventory) {
    this.disposables = [
      vscode.commands.registerCommand('remoteInvoke.addHost', (options?: AddHostOptions) => this.addHost(options)),
      vscode.commands.registerCommand('remoteInvoke.editHost', (arg?: unknown) => this.editHost(arg)),
      vscode.commands.registerCommand('remoteInvoke.removeHost', (arg?: unknown, more?: unknown) => this.removeHost(arg, more)),
      vscode.commands.registerCommand('remoteInvoke.openSshConfig', () => this.openConfig()),
    ];
  }

  private get file(): string {
    return this.inventory.configPath;
  }

  /** Resolves to the new alias, or undefined when the user gave up. */
  async addHost(options?: AddHostOptions): Promise<string | undefined> {
    let spec: HostSpec | undefined;
    let alias = options?.alias;
    if (options?.spec) {
      spec = parseHostSpec(options.spec);
    } else {
      const typed = await vscode.window.showInputBox({
        title: 'Add Host (1/2)',
        prompt: 'The connection, as user@host[:port] or an ssh command line',
        placeHolder: 'admin@web1.example.com:22   or   ssh -p 2222 -i ~/.ssh/key admin@10.0.0.5',
        ignoreFocusOut: true,
        validateInput: (v) => {
          if (!v.trim()) return undefined;
          try {
            parseHostSpec(v);
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        },
      });
      if (!typed?.trim()) return undefined;
      spec = parseHostSpec(typed);
    }
    if (!alias) {
      if (options?.spec) alias = suggestAlias(spec);
      else {
        alias = await vscode.window.showInputBox({
          title: 'Add Host (2/2)',
          prompt: `A name for ${spec.user ? `${spec.user}@` : ''}${spec.host}: it is the Host line in ${this.file}`,
          value: suggestAlias(spec),
          ignoreFocusOut: true,
          validateInput: (v) => validateAlias(v) ?? (this.inventory.has(v) ? `${v} is already in the ssh config` : undefined),
        });
        if (!alias) return undefined;
      }
    }
    const invalid = validateAlias(alias);
    if (invalid) throw new Error(invalid);
    if (this.inventory.has(alias)) throw new Error(`${alias} is already in ${this.file}`);

    let text = '';
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    }
    // Before any `Host *`: ssh takes the first value it finds, so the new block's settings win.
    const placed = insertHostBlock(text, renderHostBlock(alias, spec));
    await writeKeepingMode(this.file, placed.text);
    this.inventory.reload();
    this.added.fire(alias);
    void vscode.window
      .showInformationMessage(
        `Remote Invoke: added ${alias} to ${this.file}, line ${placed.line + 1}${placed.beforeCatchAll ? ` (before "${placed.beforeCatchAll}", so its settings take effect)` : ''}.`,
        'Open',
      )
      .then((choice) => choice && this.open(this.file, placed.line));
    return alias;
  }

  async editHost(arg?: unknown): Promise<void> {
    const [name] = hostNamesFrom(arg);
    const host = name ?? (await this.pickHost('Edit host'));
    if (!host) return;
    const where = locateHost(this.file, host);
    await this.open(where?.file ?? this.file, where?.line ?? 0);
  }

  /** Removes the Host block when that is clean; otherwise opens the file at it and says why. */
  async removeHost(arg?: unknown, more?: unknown): Promise<boolean> {
    const options = arg && typeof arg === 'object' && 'confirm' in arg ? (arg as { confirm?: boolean }) : undefined;
    const names = hostNamesFrom(arg, more);
    const host = names[0] ?? (await this.pickHost('Remove host'));
    if (!host) return false;
    const where = locateHost(this.file, host);
    if (!where) {
      void vscode.window.showWarningMessage(`Remote Invoke: ${host} is not defined by a Host block in ${this.file} or its Includes.`);
      return false;
    }
    const text = await fs.promises.readFile(where.file, 'utf8');
    const outcome = removeHostBlock(text, host);
    if (!outcome.removed) {
      await this.open(where.file, outcome.line ?? where.line);
      void vscode.window.showInformationMessage(`Remote Invoke: ${host} cannot be removed cleanly (${outcome.reason}); edit the file instead.`);
      return false;
    }
    if (options?.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(
        `Remove ${host} from ${where.file}?`,
        { modal: true, detail: 'Its Host block is deleted from the file; nothing else in the file changes.' },
        'Remove',
      );
      if (ok !== 'Remove') return false;
    }
    await writeKeepingMode(where.file, outcome.text);
    this.inventory.reload();
    return true;
  }

  private async openConfig(): Promise<void> {
    if (!fs.existsSync(this.file)) {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.promises.writeFile(this.file, '', { mode: 0o600 });
    }
    await this.open(this.file, 0);
  }

  private async open(file: string, line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const pos = new vscode.Position(line, 0);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
  }

  private async pickHost(title: string): Promise<string | undefined> {
    const hosts = this.inventory.hosts();
    if (!hosts.length) {
      void vscode.window.showInformationMessage(`Remote Invoke: no hosts in ${this.file}.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      hosts.map((h) => ({ label: h.name, description: h.resolved ? `${h.resolved.user}@${h.resolved.hostName}:${h.resolved.port}` : h.problem })),
      { title },
    );
    return picked?.label;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.added.dispose();
  }
}

/** ssh refuses a config others can write: a new file is 0600, an existing one keeps its mode. */
async function writeKeepingMode(file: string, text: string): Promise<void> {
  let mode = 0o600;
  try {
    mode = (await fs.promises.stat(file)).mode & 0o777;
  } catch {
    /* new file */
  }
  await fs.promises.writeFile(file, text, { mode });
}
