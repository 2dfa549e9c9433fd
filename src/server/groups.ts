// Groups as the fleet has them (inventory sections and ssh_config Tags): their lenses, where they
// are named, and what a hover says about them. Shared by the inventory and ssh_config features.
import * as path from 'node:path';
import type { CodeLens, Location } from 'vscode-languageserver';
import type { Fleet } from '../core/inventory/fleet';
import type { SourceRange } from '../core/inventory/model';
import { RUN_ON_HOSTS_COMMAND, type RunOnHostsArgs } from './protocol';
import { uriOf, type Workspace } from './workspace';

/** A lens that runs the active file on a group's hosts (RUN_ON_HOSTS_COMMAND on the client). */
export function runLens(group: string, hosts: readonly string[], range: SourceRange): CodeLens {
  const args: RunOnHostsArgs = { group, hosts: [...hosts] };
  return { range, command: { title: `Run active file on ${group} (${hosts.length} host${hosts.length === 1 ? '' : 's'})`, command: RUN_ON_HOSTS_COMMAND, arguments: [args] } };
}

/** Where a group is named as a group: section headers / YAML keys. */
export function groupNameLocations(fleet: Fleet, name: string): Location[] {
  const out: Location[] = [];
  for (const d of fleet.documents) for (const g of d.groups) if (g.name === name && g.kind !== 'vars') out.push({ uri: uriOf(path.resolve(d.file)), range: g.nameRange });
  if (out.length) return out;
  // Only `Tag` lines (or only `:vars`) declare it.
  return (fleet.group(name)?.declarations ?? []).map((d) => ({ uri: uriOf(path.resolve(d.file)), range: d.range }));
}

/** Every place a group is named: headers, `children` entries, ssh_config `Tag` lines. */
export function groupReferences(workspace: Workspace, fleet: Fleet, name: string, includeDeclaration: boolean): Location[] {
  const out: Location[] = [];
  for (const d of fleet.documents) {
    const uri = uriOf(path.resolve(d.file));
    for (const g of d.groups) {
      if (includeDeclaration && g.name === name) out.push({ uri, range: g.nameRange });
      for (const c of g.children) if (c.name === name) out.push({ uri, range: c.range });
    }
  }
  for (const tag of workspace.tagWords(workspace.sshConfigPath)) if (tag.word === name) out.push({ uri: uriOf(tag.file), range: tag.range });
  return out;
}

/** A group's hosts (the first 20), children and parents. */
export function groupMarkdown(fleet: Fleet, name: string): string {
  const group = fleet.group(name);
  if (!group) return `**${name}**: no such group`;
  const list = group.hosts.slice(0, 20).map((h) => `\`${h}\``).join(', ') + (group.hosts.length > 20 ? `, … (${group.hosts.length - 20} more)` : '');
  const lines = [`**${group.name}** — ${group.hosts.length} host${group.hosts.length === 1 ? '' : 's'}`, '', list || 'no hosts'];
  if (group.children.length) lines.push('', `children: ${group.children.map((c) => `\`${c}\``).join(', ')}`);
  if (group.parents.length) lines.push('', `parents: ${group.parents.map((c) => `\`${c}\``).join(', ')}`);
  return lines.join('\n');
}
