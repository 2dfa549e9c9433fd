import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { iniAddGroup, iniAddHosts, iniGroupHosts, iniRemoveHosts, inventoryFormat, validateGroupName } from '../core';
import type { HostsTreeNode, HostsView } from './hostsView';
import type { HostInventory } from './inventory';
import { hostNamesFrom } from './sessions';

/** Where groups made in the sidebar go the first time: in the workspace, so they travel with it. */
export const WORKSPACE_INVENTORY = '.vscode/remote-invoke-inventory.ini';
const LAST_FILE_KEY = 'remoteInvoke.groupInventoryFile';

/** Programmatic form of the group commands (tests, other extensions): no prompts. */
export interface GroupEditOptions {
  group?: string;
  hosts?: string[];
  /** The inventory to write; default: the one picked last, else the workspace's. */
  file?: string;
}

/**
 * New Group, Add to Group… and Remove from Group: edits of an Ansible INI inventory that the user
 * picks (the first time `.vscode/remote-invoke-inventory.ini`, added to `remoteInvoke.inventoryFiles`).
 * Only the lines an edit is about change (core iniEdit). YAML inventories are not edited: their
 * comments and layout could not be kept byte for byte by a YAML printer.
 */
export class GroupCommands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly inventory: HostInventory,
    private readonly view: HostsView,
    private readonly state: vscode.Memento,
  ) {
    this.disposables = [
      vscode.commands.registerCommand('remoteInvoke.newGroup', (arg?: unknown, more?: unknown) => this.newGroup(arg, more)),
      vscode.commands.registerCommand('remoteInvoke.addToGroup', (arg?: unknown, more?: unknown) => this.addToGroup(arg, more)),
      vscode.commands.registerCommand('remoteInvoke.removeFromGroup', (arg?: unknown, more?: unknown) => this.removeFromGroup(arg, more)),
    ];
  }

  /** New Group: a name, then a `[name]` section (with the selected hosts, when hosts were selected). Resolves to the file written. */
  async newGroup(arg?: unknown, more?: unknown): Promise<string | undefined> {
    const options = optionsOf(arg);
    const hosts = options?.hosts ?? hostsOf(arg, more);
    const group = options?.group ?? (await this.askGroupName());
    if (!group) return undefined;
    const invalid = validateGroupName(group);
    if (invalid) throw new Error(invalid);
    const file = options?.file ?? (await this.pickFile(`New group ${group}`));
    if (!file) return undefined;
    await this.edit(file, (text) => (hosts.length ? iniAddHosts(iniAddGroup(text, group), group, hosts).text : iniAddGroup(text, group)));
    return file;
  }

  /** Add to Group…: the selected hosts into a group picked from the fleet's (or a new one). */
  async addToGroup(arg?: unknown, more?: unknown): Promise<string | undefined> {
    const options = optionsOf(arg);
    const hosts = options?.hosts ?? hostsOf(arg, more);
    if (!hosts.length) {
      void vscode.window.showInformationMessage('Remote Invoke: select hosts in the Hosts view, then choose Add to Group….');
      return undefined;
    }
    const group = options?.group ?? (await this.pickGroup(hosts));
    if (!group) return undefined;
    const invalid = validateGroupName(group);
    if (invalid) throw new Error(invalid);
    const file = options?.file ?? (await this.pickFile(`Add ${describe(hosts)} to ${group}`));
    if (!file) return undefined;
    let already: string[] = [];
    await this.edit(file, (text) => {
      const out = iniAddHosts(text, group, hosts);
      already = out.already;
      return out.text;
    });
    if (already.length) void vscode.window.showInformationMessage(`Remote Invoke: ${describe(already)} already in ${group} in ${path.basename(file)}.`);
    return file;
  }

  /**
   * Remove from Group: each selected host row leaves the group it is shown under (a host at the top
   * level has none). The host's lines go from every `[group]` section of the INI inventories that
   * list it; membership from elsewhere (a `Tag` in ssh_config, a YAML inventory, a range line) is
   * reported with where it is, not rewritten. Resolves to the files changed.
   */
  async removeFromGroup(arg?: unknown, more?: unknown): Promise<string[]> {
    const options = optionsOf(arg);
    const pairs: { host: string; group: string }[] = options?.group
      ? (options.hosts ?? []).map((host) => ({ host, group: options.group! }))
      : nodesOf(arg, more).flatMap((n) => (n.kind === 'host' && n.parent ? [{ host: n.name, group: n.parent.group }] : []));
    if (!pairs.length) {
      void vscode.window.showInformationMessage('Remote Invoke: choose Remove from Group on a host shown under a group.');
      return [];
    }
    const byGroup = new Map<string, string[]>();
    for (const { host, group } of pairs) byGroup.set(group, [...new Set([...(byGroup.get(group) ?? []), host])]);
    const changed = new Set<string>();
    const problems: string[] = [];
    const files = options?.file ? [options.file] : this.iniFiles();
    for (const [group, hosts] of byGroup) {
      const removed = new Set<string>();
      for (const file of files) {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        if (!hosts.some((h) => iniGroupHosts(text, group).some((w) => w === h || w.includes('[')))) continue;
        const out = iniRemoveHosts(text, group, hosts);
        for (const r of out.inRanges) problems.push(`${r.host} is in ${group} through the range ${r.pattern} (${path.basename(file)}:${r.line + 1}): edit that line`);
        if (out.removed.length) {
          await writeKeepingMode(file, out.text);
          changed.add(file);
          out.removed.forEach((h) => removed.add(h));
        }
      }
      for (const h of hosts) {
        if (removed.has(h) || problems.some((p) => p.startsWith(`${h} is in ${group}`))) continue;
        problems.push(`${h} is not listed in [${group}] of an INI inventory${this.whereElse(group)}`);
      }
    }
    if (changed.size) this.inventory.reload();
    if (problems.length) void vscode.window.showWarningMessage(`Remote Invoke: ${problems.join('; ')}.`);
    return [...changed];
  }

  /** Where else a group comes from, for the message of a removal that could not be done. */
  private whereElse(group: string): string {
    const g = this.inventory.fleet.group(group);
    const places = (g?.declarations ?? []).map((d) => `${path.basename(d.file)}:${d.range.start.line + 1}`);
    return places.length ? ` (it comes from ${places.join(', ')}${g?.origins.includes('sshConfigTag') ? ', an ssh_config Tag' : ''}: edit it there)` : '';
  }

  /** The INI inventories in the setting (YAML ones are never edited). */
  private iniFiles(): string[] {
    return this.inventory.inventoryFiles.filter((f) => {
      try {
        return inventoryFormat(f, fs.readFileSync(f, 'utf8')) === 'ini';
      } catch {
        return /\.(ini|cfg|txt|hosts)$/i.test(f) || !path.extname(f);
      }
    });
  }

  /**
   * The inventory to write: the only choice when there is one, else a pick (the last one used
   * first). With no INI inventory yet, the workspace's `.vscode/remote-invoke-inventory.ini`.
   */
  private async pickFile(title: string): Promise<string | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const workspaceFile = folder ? path.join(folder.uri.fsPath, WORKSPACE_INVENTORY) : undefined;
    const candidates = [...new Set([...this.iniFiles(), ...(workspaceFile ? [workspaceFile] : [])])];
    if (!candidates.length) {
      void vscode.window.showWarningMessage('Remote Invoke: open a folder first: groups made here are written to its .vscode/remote-invoke-inventory.ini.');
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const last = this.state.get<string>(LAST_FILE_KEY);
    const ordered = last && candidates.includes(last) ? [last, ...candidates.filter((c) => c !== last)] : candidates;
    const picked = await vscode.window.showQuickPick(
      ordered.map((f) => ({
        label: path.basename(f),
        description: vscode.workspace.asRelativePath(f),
        detail: fs.existsSync(f) ? undefined : 'new file, added to remoteInvoke.inventoryFiles',
        file: f,
      })),
      { title, placeHolder: 'The inventory file to write the group to' },
    );
    return picked?.file;
  }

  private async askGroupName(): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: 'New Group',
      prompt: 'The group\'s name, as in an Ansible inventory: letters, digits and _',
      placeHolder: 'web',
      ignoreFocusOut: true,
      validateInput: (v) => (v ? (validateGroupName(v) ?? (this.inventory.fleet.group(v) ? `${v} exists already: use Add to Group…` : undefined)) : undefined),
    });
  }

  private async pickGroup(hosts: string[]): Promise<string | undefined> {
    const newGroup = { label: '$(new-folder) New Group…', group: undefined as string | undefined };
    const picked = await vscode.window.showQuickPick(
      [
        ...this.inventory.groups()
          .filter((g) => g.name !== 'ungrouped')
          .map((g) => ({ label: g.name, description: `${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'}`, group: g.name as string | undefined })),
        newGroup,
      ],
      { title: `Add ${describe(hosts)} to group`, placeHolder: 'A group, or New Group…' },
    );
    if (!picked) return undefined;
    return picked.group ?? (await this.askGroupName());
  }

  /** Reads (or starts) the file, applies the edit, writes it back, and makes sure the setting lists it. */
  private async edit(file: string, change: (text: string) => string): Promise<void> {
    let text = '';
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
    }
    await writeKeepingMode(file, change(text));
    void this.state.update(LAST_FILE_KEY, file);
    await this.ensureListed(file);
    this.inventory.reload();
  }

  /** A file we wrote must be read as an inventory: add it to the workspace's remoteInvoke.inventoryFiles. */
  private async ensureListed(file: string): Promise<void> {
    if (this.inventory.inventoryFiles.some((f) => path.resolve(f) === path.resolve(file))) return;
    const config = vscode.workspace.getConfiguration('remoteInvoke');
    const current = config.inspect<string[]>('inventoryFiles')?.workspaceValue ?? [];
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const entry = folder && file.startsWith(folder + path.sep) ? path.relative(folder, file) : file;
    await config.update('inventoryFiles', [...current, entry], vscode.ConfigurationTarget.Workspace);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function optionsOf(arg: unknown): GroupEditOptions | undefined {
  if (!arg || typeof arg !== 'object' || 'kind' in arg) return undefined;
  const o = arg as GroupEditOptions;
  return typeof o.group === 'string' || Array.isArray(o.hosts) || typeof o.file === 'string' ? o : undefined;
}

/** Tree menus pass (clicked row, selected rows); the clicked row alone when nothing is selected. */
function nodesOf(arg: unknown, more: unknown): HostsTreeNode[] {
  const rows = Array.isArray(more) && more.length ? more : [arg];
  return rows.filter((r): r is HostsTreeNode => !!r && typeof r === 'object' && 'kind' in r && 'id' in r);
}

/** Host rows of the tree; also host names, as other commands take them (`'web1'`, `{ name }`, `[…]`). */
function hostsOf(arg: unknown, more: unknown): string[] {
  const nodes = nodesOf(arg, more);
  if (nodes.length) return [...new Set(nodes.flatMap((n) => (n.kind === 'host' ? [n.name] : [])))];
  return [...new Set(hostNamesFrom(arg, more))];
}

function describe(hosts: string[]): string {
  return hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`;
}

/** An existing file keeps its mode (an inventory may be private); a new one is created 0644 like any workspace file. */
async function writeKeepingMode(file: string, text: string): Promise<void> {
  await fs.promises.writeFile(file, text);
}
