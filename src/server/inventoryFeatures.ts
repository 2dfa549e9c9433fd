// The language features for Ansible inventories (INI and YAML). Everything positional comes from
// the engine's own inventory parsers (core/inventory: parseInventory, loadFleet), which keep the
// range of every group, host, child reference and variable; resolution is the fleet's.
import * as path from 'node:path';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  SymbolKind,
  TextEdit,
  type CodeAction,
  type CodeActionParams,
  type CodeLens,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Position,
  type Range,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseInventory, type Fleet } from '../core/inventory/fleet';
import type { GroupDeclaration, InventoryDocument, SourceRange, VariableDeclaration } from '../core/inventory/model';
import { ANSIBLE_VARIABLES, ENGINE_VARIABLE_DOCS } from './ansibleVariableNames';
import { hostFacts, hostFactsMarkdown } from './hostFacts';
import { groupMarkdown, groupNameLocations, groupReferences, runLens } from './groups';
import { DIAGNOSTIC_SOURCE } from './protocol';
import { misspelt, renameFixes } from './didYouMean';
import { filePathOf, uriOf, type Workspace } from './workspace';

export const UNKNOWN_VARIABLE = 'unknown-variable';

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information } as const;

/** What is under the cursor, found through the parser's ranges. */
type Target =
  | { kind: 'group'; name: string; range: SourceRange }
  | { kind: 'host'; names: string[]; pattern: string; range: SourceRange }
  | { kind: 'variable'; variable: VariableDeclaration };

const contains = (r: SourceRange, p: Position) =>
  (p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character)) && (p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character));

export class InventoryFeatures {
  constructor(private readonly workspace: Workspace) {}

  /** The fleet (with this document's unsaved text) and this document as the engine parsed it. */
  private load(doc: TextDocument): { fleet: Fleet; file: string; inventory: InventoryDocument } {
    this.workspace.opened(doc);
    const file = filePathOf(doc.uri) ?? doc.uri;
    const fleet = this.workspace.fleet();
    const inventory = fleet.documents.find((d) => path.resolve(d.file) === file) ?? parseInventory(doc.getText(), file);
    return { fleet, file, inventory };
  }

  diagnostics(doc: TextDocument): Diagnostic[] {
    const { fleet, file, inventory } = this.load(doc);
    const fromEngine = fleet.diagnostics
      .filter((d) => path.resolve(d.file) === file)
      .map((d): Diagnostic => ({ range: d.range, severity: SEVERITY[d.severity], code: d.code, source: DIAGNOSTIC_SOURCE, message: d.message }));
    return [...fromEngine, ...unknownVariables(inventory)];
  }

  codeActions(doc: TextDocument, params: CodeActionParams): CodeAction[] {
    return renameFixes(doc, params, [UNKNOWN_VARIABLE]);
  }

  private targetAt(inventory: InventoryDocument, p: Position): Target | undefined {
    for (const g of inventory.groups) {
      if (contains(g.nameRange, p)) return { kind: 'group', name: g.name, range: g.nameRange };
      for (const c of g.children) if (contains(c.range, p)) return { kind: 'group', name: c.name, range: c.range };
      for (const v of g.vars) if (contains(v.nameRange, p)) return { kind: 'variable', variable: v };
      for (const h of g.hosts) {
        for (const v of h.vars) if (contains(v.nameRange, p)) return { kind: 'variable', variable: v };
        if (contains(h.range, p)) return { kind: 'host', names: h.names, pattern: h.pattern, range: h.range };
      }
    }
    return undefined;
  }

  hover(doc: TextDocument, position: Position): Hover | undefined {
    const { fleet, inventory } = this.load(doc);
    const target = this.targetAt(inventory, position);
    if (!target) return undefined;
    const markdown = (value: string, range: SourceRange): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
    if (target.kind === 'variable') {
      const v = target.variable;
      const doc = ENGINE_VARIABLE_DOCS[v.name] ?? (ANSIBLE_VARIABLES.has(v.name) ? 'An Ansible variable Remote Invoke keeps but does not act on.' : undefined);
      return doc ? markdown(`**${v.name}**\n\n${doc}`, v.nameRange) : undefined;
    }
    if (target.kind === 'group') return markdown(groupMarkdown(fleet, target.name), target.range);
    if (target.names.length === 1) return markdown(hostFactsMarkdown(hostFacts(fleet, target.names[0], this.workspace.lastRun())), target.range);
    const shown = target.names.slice(0, 20).map((n) => `\`${n}\``).join(', ');
    return markdown(`**${target.pattern}** — ${target.names.length} hosts\n\n${shown || 'expands to no host'}${target.names.length > 20 ? ', …' : ''}`, target.range);
  }

  definition(doc: TextDocument, position: Position): Location[] {
    const { fleet, inventory } = this.load(doc);
    const target = this.targetAt(inventory, position);
    if (target?.kind === 'group') return groupNameLocations(fleet, target.name);
    if (target?.kind === 'host' && target.names.length === 1) {
      const host = fleet.host(target.names[0]);
      // Where else the host is declared: its ssh_config Host block, other inventory lines.
      return (host?.declarations ?? []).filter((d) => !(path.resolve(d.file) === filePathOf(doc.uri) && d.range.start.line === target.range.start.line)).map((d) => ({ uri: uriOf(d.file), range: d.range }));
    }
    return [];
  }

  references(doc: TextDocument, position: Position, includeDeclaration: boolean): Location[] {
    const { fleet, inventory } = this.load(doc);
    const target = this.targetAt(inventory, position);
    if (target?.kind !== 'group') return [];
    return groupReferences(this.workspace, fleet, target.name, includeDeclaration);
  }

  symbols(doc: TextDocument): DocumentSymbol[] {
    const { inventory } = this.load(doc);
    return inventory.groups.map(
      (g): DocumentSymbol => ({
        name: g.kind === 'hosts' || g.kind === 'yaml' ? g.name : `${g.name}:${g.kind}`,
        kind: g.kind === 'vars' ? SymbolKind.Variable : SymbolKind.Namespace,
        range: g.range,
        selectionRange: g.nameRange,
        children: [
          ...g.hosts.map((h): DocumentSymbol => ({ name: h.pattern, detail: h.names.length === 1 ? undefined : `${h.names.length} hosts`, kind: SymbolKind.Object, range: h.range, selectionRange: h.range })),
          ...g.children.map((c): DocumentSymbol => ({ name: c.name, detail: 'child group', kind: SymbolKind.Namespace, range: c.range, selectionRange: c.range })),
        ],
      }),
    );
  }

  /** "Run active file on web (12 hosts)" on the first line that declares each group here. */
  codeLenses(doc: TextDocument): CodeLens[] {
    const { fleet, inventory } = this.load(doc);
    const seen = new Set<string>();
    return inventory.groups
      .filter((g: GroupDeclaration) => g.kind !== 'vars' && !seen.has(g.name) && !!seen.add(g.name))
      .map((g) => runLens(g.name, fleet.groupHosts(g.name) ?? [], g.nameRange));
  }

  completion(doc: TextDocument, position: Position): CompletionItem[] {
    const { fleet, inventory } = this.load(doc);
    const lines = doc.getText().split(/\r?\n/);
    const prefix = (lines[position.line] ?? '').slice(0, position.character);
    const typed = /[\w.\-[\]]*$/.exec(prefix)![0];
    const replace: Range = { start: { line: position.line, character: position.character - typed.length }, end: position };
    const context = inventory.format === 'yaml' ? yamlContext(lines, position.line, prefix) : iniContext(lines, position.line, prefix);
    const groups = () =>
      fleet.groupNames.map((g) => ({ label: g, kind: CompletionItemKind.Module, detail: `${fleet.groupHosts(g)?.length ?? 0} hosts`, textEdit: TextEdit.replace(replace, g) }));
    const hosts = () =>
      fleet.hosts.map((h) => ({ label: h.name, kind: CompletionItemKind.Reference, detail: `${h.user}@${h.address}:${h.port}`, textEdit: TextEdit.replace(replace, h.name) }));
    const variables = (suffix: string) =>
      [...ANSIBLE_VARIABLES].map((v) => ({
        label: v,
        kind: CompletionItemKind.Variable,
        documentation: ENGINE_VARIABLE_DOCS[v] ? { kind: MarkupKind.Markdown, value: ENGINE_VARIABLE_DOCS[v] } : undefined,
        sortText: ENGINE_VARIABLE_DOCS[v] ? `0${v}` : `1${v}`,
        textEdit: TextEdit.replace(replace, v + suffix),
      }));
    switch (context) {
      case 'group':
        return groups();
      case 'host':
        return hosts();
      case 'variable':
        return variables(inventory.format === 'yaml' ? ': ' : '=');
      default:
        return [];
    }
  }
}

/** `ansible_*` names Ansible does not know: a typo, with the closest real names as quick fixes. */
function unknownVariables(inventory: InventoryDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const g of inventory.groups) {
    for (const v of [...g.vars, ...g.hosts.flatMap((h) => h.vars)]) {
      if (!v.name.startsWith('ansible_') || ANSIBLE_VARIABLES.has(v.name)) continue;
      out.push(misspelt(v.nameRange, DiagnosticSeverity.Warning, UNKNOWN_VARIABLE, `Unknown Ansible variable '${v.name}'.`, v.name, ANSIBLE_VARIABLES));
    }
  }
  return out;
}

type CompletionContext = 'group' | 'host' | 'variable' | undefined;

// INI: `[` starts a group; a `:children` section lists groups; `:vars` sections and the words after
// a host are variables; the first word of a host section's line is a host.
function iniContext(lines: string[], line: number, prefix: string): CompletionContext {
  if (/^\s*\[[^\]]*$/.test(prefix)) return 'group';
  let section = '';
  for (let i = line - 1; i >= 0; i--) {
    const m = /^\s*\[([^\]]+)\]/.exec(lines[i]);
    if (m) {
      section = m[1];
      break;
    }
  }
  const kind = section.includes(':') ? section.slice(section.indexOf(':') + 1) : 'hosts';
  const firstWord = /^\s*[^\s=]*$/.test(prefix);
  if (kind === 'children') return firstWord ? 'group' : undefined;
  if (kind === 'vars') return firstWord ? 'variable' : undefined;
  if (firstWord) return 'host';
  return /\s[^\s=]*$/.test(prefix) && !/=[^\s]*$/.test(prefix) ? 'variable' : undefined;
}

// YAML: the key a line sits under decides: `children:` → groups, `hosts:` → hosts, `vars:` or a
// host's own mapping → variables.
function yamlContext(lines: string[], line: number, prefix: string): CompletionContext {
  if (!/^\s*[\w.\-[\]]*$/.test(prefix)) return undefined;
  const indent = prefix.length - prefix.trimStart().length;
  const parents: string[] = [];
  let limit = indent;
  for (let i = line - 1; i >= 0 && parents.length < 2; i--) {
    const m = /^(\s*)([^\s#:][^:]*):\s*(#.*)?$/.exec(lines[i]);
    if (!m || m[1].length >= limit) continue;
    parents.push(m[2].trim());
    limit = m[1].length;
  }
  if (parents[0] === 'children') return 'group';
  if (parents[0] === 'hosts') return 'host';
  if (parents[0] === 'vars' || parents[1] === 'hosts') return 'variable';
  return undefined;
}
